from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.console.admin_tools import EstimatedCountPaginator, MetadataSearchMixin, pretty_json, status_badge
from apps.threads import services
from apps.threads.models import Thread


@admin.register(Thread)
class ThreadAdmin(MetadataSearchMixin, admin.ModelAdmin):
    list_display = ("thread_id", "status_badge", "graph", "created_at", "updated_at")
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=thread_id",)
    search_help_text = "A thread id, or key=value to match thread metadata."
    ordering = ("-created_at",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = ("thread_id", "status_badge", "metadata_json", "state_json", "created_at", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Deleting goes through the service so the thread's checkpoints go too.
    def delete_model(self, request: HttpRequest, thread: Thread) -> None:
        services.delete_thread(thread.thread_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for thread_id in queryset.values_list("thread_id", flat=True):
            services.delete_thread(thread_id)

    @admin.display(description="status", ordering="status")
    def status_badge(self, thread: Thread) -> str:
        return status_badge(thread.status)

    @admin.display(description="graph")
    def graph(self, thread: Thread) -> str:
        return thread.graph_id or "-"

    @admin.display(description="metadata")
    def metadata_json(self, thread: Thread) -> str:
        return pretty_json(thread.metadata)

    @admin.display(description="current state")
    def state_json(self, thread: Thread) -> str:
        try:
            return pretty_json(services.get_thread_state(thread.thread_id))
        except Exception as exc:
            return f"unavailable: {exc}"
