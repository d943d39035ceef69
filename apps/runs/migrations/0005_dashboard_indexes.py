# The admin dashboard's two range scans (apps/runs/overview.py): runs created
# per minute and status, and durations of runs ended, over the last day.
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
            index=models.Index(fields=["created_at"], include=("status",), name="run_created_status"),
        ),
        AddIndexConcurrently(
            model_name="run",
            index=models.Index(fields=["ended_at"], include=("started_at",), name="run_ended_started"),
        ),
    ]
