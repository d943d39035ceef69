from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

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
from apps.runs import services, transitions
from apps.runs.cancellation import CancelAction
from apps.runs.models import IN_FLIGHT_STATUSES, Run
from apps.threads.services import get_thread_state


@admin.register(Run)
class RunAdmin(CompactTimesMixin, MetadataSearchMixin, admin.ModelAdmin):
    list_display = ("short_run_id", "status_badge", "thread_link", "graph", "attempt", "duration", "created")
    list_display_links = None  # the short id links itself, beside its copy button
    list_filter = ("status", "assistant__graph_id", ("created_at", admin.DateFieldListFilter), "multitask_strategy")
    search_fields = ("=run_id", "=thread__thread_id")
    search_help_text = "A run or thread id, or key=value to match run metadata."
    list_select_related = ("assistant",)
    ordering = ("-created_at",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["cancel_interrupt", "cancel_rollback", "rerun"]
    fieldsets = (
        (None, {"fields": ("run_id", "status_badge", "thread_link", "assistant", "multitask_strategy", "attempt")}),
        ("Steps", {"fields": ("steps_timeline",)}),
        ("Outcome", {"fields": ("error_json", "traceback_text")}),
        ("Stream events", {"fields": ("stream_events",)}),
        ("Timings", {"fields": ("created_at", "started_at", "ended_at", "duration", "lease_expires_at")}),
        ("Request", {"fields": ("input_json", "config_json", "metadata_json", "kwargs_json")}),
        ("Thread", {"fields": ("thread_state",)}),
    )
    Media = ConsoleMedia
    readonly_fields = (
        "run_id",
        "status_badge",
        "thread_link",
        "assistant",
        "multitask_strategy",
        "attempt",
        "created_at",
        "started_at",
        "ended_at",
        "duration",
        "lease_expires_at",
        "input_json",
        "config_json",
        "metadata_json",
        "kwargs_json",
        "error_json",
        "traceback_text",
        "thread_state",
        "stream_events",
        "steps_timeline",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are created through the API, which dispatches them

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        transitions.delete_runs_not_running(queryset)  # cancel a running run first

    @admin.display(description="status", ordering="status")
    def status_badge(self, run: Run) -> str:
        return status_badge(run.status)

    @admin.display(description="run id", ordering="run_id")
    def short_run_id(self, run: Run) -> str:
        return short_id(run.pk, reverse("admin:runs_run_change", args=[run.pk]))

    @admin.display(description="thread")
    def thread_link(self, run: Run) -> str:
        return short_id(run.thread_id, reverse("admin:threads_thread_change", args=[run.thread_id]))

    @admin.display(description="timeline")
    def steps_timeline(self, run: Run) -> str:
        return pages.run_timeline(run)

    @admin.display(description="graph", ordering="assistant__graph_id")
    def graph(self, run: Run) -> str:
        return run.assistant.graph_id

    @admin.display(description="duration")
    def duration(self, run: Run) -> str:
        return f"{run.duration_s:.3f} s" if run.duration_s is not None else "-"

    @admin.display(description="input")
    def input_json(self, run: Run) -> str:
        return pretty_json(run.kwargs.get("input") or run.kwargs.get("command"))

    @admin.display(description="config")
    def config_json(self, run: Run) -> str:
        return pretty_json(run.kwargs.get("config"))

    @admin.display(description="metadata")
    def metadata_json(self, run: Run) -> str:
        return pretty_json(run.metadata)

    @admin.display(description="all request fields")
    def kwargs_json(self, run: Run) -> str:
        return pretty_json(run.kwargs)

    @admin.display(description="error")
    def error_json(self, run: Run) -> str:
        return pretty_json(run.error) if run.error else "-"

    @admin.display(description="traceback")
    def traceback_text(self, run: Run) -> str:
        return format_html("<pre>{}</pre>", run.traceback) if run.traceback else "-"

    @admin.display(description="thread state now")
    def thread_state(self, run: Run) -> str:
        try:
            return pretty_json(get_thread_state(run.thread_id)["values"])
        except Exception as exc:  # a deleted thread or an unloadable graph must not break the page
            return f"unavailable: {exc}"

    @admin.display(description="events (kept for RUN_STREAM_TTL_S)")
    def stream_events(self, run: Run) -> str:
        return pages.run_events(run)

    def _cancel(self, request: HttpRequest, queryset: QuerySet, action: CancelAction) -> None:
        in_flight = list(queryset.filter(status__in=IN_FLIGHT_STATUSES))
        for run in in_flight:
            services.cancel_run(run.thread_id, run.run_id, action)
        self.message_user(request, f"{action}: signalled {len(in_flight)} run(s)", messages.SUCCESS)

    @admin.action(description="Cancel (interrupt) selected runs")
    def cancel_interrupt(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._cancel(request, queryset, CancelAction.INTERRUPT)

    @admin.action(description="Cancel and roll back selected runs")
    def cancel_rollback(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._cancel(request, queryset, CancelAction.ROLLBACK)

    @admin.action(description="Re-run selected runs")
    def rerun(self, request: HttpRequest, queryset: QuerySet) -> None:
        created = [services.rerun_run(run) for run in queryset.select_related("assistant")]
        self.message_user(request, f"created {len(created)} new run(s)", messages.SUCCESS)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {}
