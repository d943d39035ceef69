from django.contrib import admin

from apps.runs.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("run_id", "status", "thread_id", "assistant", "attempt", "created_at", "started_at", "ended_at")
    list_filter = ("status", "multitask_strategy")
    search_fields = ("run_id", "thread__thread_id")
    list_select_related = ("assistant",)
    readonly_fields = (
        "run_id",
        "thread",
        "assistant",
        "status",
        "kwargs",
        "metadata",
        "error",
        "attempt",
        "multitask_strategy",
        "created_at",
        "updated_at",
        "started_at",
        "ended_at",
    )
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False  # runs are created through the API, which dispatches them
