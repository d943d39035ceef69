from django.db import migrations, models

# The admin's read-only window on the library's `store` table, whose primary key
# (prefix, key) is composite: Django's admin cannot list such a model, so the
# view gives each row one text id. Nothing writes through it.
CREATE_VIEW = """
CREATE OR REPLACE VIEW store_item_admin AS
SELECT prefix || chr(31) || key AS id, prefix, key, value, created_at, updated_at, expires_at
FROM store
"""


class Migration(migrations.Migration):
    dependencies = [("store", "0001_store_tables")]

    operations = [
        migrations.RunSQL(CREATE_VIEW, "DROP VIEW IF EXISTS store_item_admin"),
        migrations.CreateModel(
            name="StoreItem",
            fields=[
                ("id", models.TextField(primary_key=True, serialize=False)),
                ("prefix", models.TextField(help_text="namespace labels joined by '.'")),
                ("key", models.TextField()),
                ("value", models.JSONField()),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(null=True)),
            ],
            options={"db_table": "store_item_admin", "managed": False},
        ),
    ]
