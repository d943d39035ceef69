from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from apps.console import pages
from apps.console.admin_tools import (
    CompactTimesMixin,
    ConsoleMedia,
    EstimatedCountPaginator,
    MetadataSearchMixin,
    pretty_json,
    short_id,
    status_badge,
)
from apps.threads import services
from apps.threads.models import Thread


@admin.register(Thread)
class ThreadAdmin(CompactTimesMixin, MetadataSearchMixin, admin.ModelAdmin):
    list_display = ("short_thread_id", "status_badge", "graph", "created", "updated")
    list_display_links = None  # the short id links itself, beside its copy button
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=thread_id",)
    search_help_text = "A thread id, or key=value to match thread metadata."
    ordering = ("-created_at",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fieldsets = (
        (None, {"fields": ("thread_id", "status_badge", "metadata_json", "created_at", "updated_at")}),
        ("Conversation", {"fields": ("conversation",)}),
        ("Checkpoint history", {"fields": ("checkpoint_timeline",)}),
        ("Raw state", {"fields": ("state_json",), "classes": ("collapse",)}),
    )
    readonly_fields = (
        "thread_id",
        "status_badge",
        "metadata_json",
        "created_at",
        "updated_at",
        "conversation",
        "checkpoint_timeline",
        "state_json",
    )
    Media = ConsoleMedia

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Deleting goes through the service so the thread's checkpoints go too.
    def delete_model(self, request: HttpRequest, thread: Thread) -> None:
        services.delete_thread(thread.thread_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for thread_id in queryset.values_list("thread_id", flat=True):
            services.delete_thread(thread_id)

    @admin.display(description="thread id", ordering="thread_id")
    def short_thread_id(self, thread: Thread) -> str:
        return short_id(thread.pk, reverse("admin:threads_thread_change", args=[thread.pk]))

    @admin.display(description="transcript and state")
    def conversation(self, thread: Thread) -> str:
        return pages.thread_conversation(thread.thread_id)

    @admin.display(description="steps")
    def checkpoint_timeline(self, thread: Thread) -> str:
        return pages.thread_timeline(thread.thread_id)

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
