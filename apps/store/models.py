from django.db import models


class StoreItem(models.Model):
    """One item of the LangGraph store, read through the `store_item_admin` view (admin only).

    The table belongs to langgraph's PostgresStore (created by its own migrations);
    every read and write of the API and of graphs goes through that library.
    """

    id = models.TextField(primary_key=True)  # prefix + "\\x1f" + key
    prefix = models.TextField(help_text="namespace labels joined by '.'")
    key = models.TextField()
    value = models.JSONField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "store_item_admin"

    def __str__(self) -> str:
        return f"{self.prefix} / {self.key}"

    @property
    def namespace(self) -> list[str]:
        return self.prefix.split(".") if self.prefix else []
