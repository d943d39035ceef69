from django.contrib import admin
from django.urls import reverse

from apps.assistants.models import Assistant, AssistantVersion
from apps.console.admin_tools import CompactTimesMixin, ConsoleMedia, short_id
from apps.console.diagram import assistant_diagram


class AssistantVersionInline(admin.TabularInline):
    model = AssistantVersion
    extra = 0
    can_delete = False
    fields = ("version", "graph_id", "name", "config", "context", "metadata", "created_at")
    readonly_fields = fields
    ordering = ("-version",)


@admin.register(Assistant)
class AssistantAdmin(CompactTimesMixin, admin.ModelAdmin):
    list_display = ("short_assistant_id", "name", "graph_id", "version", "created", "updated")
    list_filter = ("graph_id",)
    search_fields = ("assistant_id", "name", "graph_id")
    readonly_fields = ("assistant_id", "version", "created_at", "updated_at", "graph_diagram")
    fieldsets = (
        ("Graph", {"fields": ("graph_diagram",)}),
        (None, {"fields": ("assistant_id", "graph_id", "name", "description", "version")}),
        ("Configuration", {"fields": ("config", "context", "metadata")}),
        ("Timings", {"fields": ("created_at", "updated_at")}),
    )
    list_display_links = None  # the short id links itself, beside its copy button
    inlines = [AssistantVersionInline]
    Media = ConsoleMedia

    @admin.display(description="assistant id", ordering="assistant_id")
    def short_assistant_id(self, assistant: Assistant) -> str:
        return short_id(assistant.pk, reverse("admin:assistants_assistant_change", args=[assistant.pk]))

    @admin.display(description="graph")
    def graph_diagram(self, assistant: Assistant) -> str:
        if assistant.pk is None:
            return "-"
        return assistant_diagram(assistant)
