# The admin dashboard's range scan of the runs that ended over the last day
# (apps/runs/overview.py DURATIONS_SQL: p50/p95 durations), index-only. (Its scan
# of the runs created over the last day uses created_at's own index.)
# Built CONCURRENTLY: a deployment with a big runs table keeps taking runs meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("runs", "0004_run_not_before"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="run",
            index=models.Index(fields=["ended_at"], include=("started_at",), name="run_ended_started"),
        ),
    ]
