from django.db import migrations


def create_store_tables(apps, schema_editor) -> None:
    from apps.graphs.store import setup_store_tables

    setup_store_tables()


class Migration(migrations.Migration):
    # The library's own migrations use CREATE INDEX CONCURRENTLY, which cannot
    # run inside a transaction; they run on their own autocommit connection.
    # The vector table (langgraph.json store.index) depends on the configuration:
    # `manage.py prepare` creates it, not this migration.
    atomic = False
    dependencies: list = []
    operations = [migrations.RunPython(create_store_tables, migrations.RunPython.noop)]
