import json

from django.contrib import admin
from django.http import HttpRequest

from apps.console.admin_tools import pretty_json
from apps.store.models import StoreItem

VALUE_PREVIEW_CHARS = 120


@admin.register(StoreItem)
class StoreItemAdmin(admin.ModelAdmin):
    """Read-only: items are written by graphs and the API, through langgraph's store."""

    list_display = ("namespace_label", "key", "updated_at", "value_preview", "expires_at")
    search_fields = ("^prefix", "=key")
    search_help_text = "A namespace prefix (labels joined by '.', e.g. users.alice) or an exact key."
    ordering = ("-updated_at",)
    show_full_result_count = False
    fields = ("namespace_label", "key", "value_json", "created_at", "updated_at", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StoreItem | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StoreItem | None = None) -> bool:
        return False

    @admin.display(description="namespace", ordering="prefix")
    def namespace_label(self, item: StoreItem) -> str:
        return " / ".join(item.namespace)

    @admin.display(description="value")
    def value_preview(self, item: StoreItem) -> str:
        text = json.dumps(item.value, sort_keys=True, default=str)
        return text if len(text) <= VALUE_PREVIEW_CHARS else text[: VALUE_PREVIEW_CHARS - 1] + "…"

    @admin.display(description="value")
    def value_json(self, item: StoreItem) -> str:
        return pretty_json(item.value)
