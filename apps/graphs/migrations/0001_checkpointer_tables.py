from django.db import migrations


def create_checkpointer_tables(apps, schema_editor) -> None:
    from apps.graphs.checkpointer import setup_checkpointer_tables

    setup_checkpointer_tables()


class Migration(migrations.Migration):
    # The library's own migrations use CREATE INDEX CONCURRENTLY, which cannot
    # run inside a transaction; they run on their own autocommit connection.
    atomic = False
    dependencies: list = []
    operations = [migrations.RunPython(create_checkpointer_tables, migrations.RunPython.noop)]
