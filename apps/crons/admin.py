import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from apps.console.admin_tools import pretty_json, status_badge
from apps.crons import services
from apps.crons.models import Cron

# Rows of run history shown on a cron's page (the search API pages through all of it).
RECENT_RUNS_SHOWN = 20


@admin.register(Cron)
class CronAdmin(admin.ModelAdmin):
    list_display = (
        "cron_id",
        "schedule",
        "timezone",
        "assistant",
        "thread_id",
        "enabled",
        "paused_reason",
        "total_run_count",
        "max_runs",
        "consecutive_failures",
        "next_run_date",
        "last_run_at",
    )
    list_filter = ("enabled", "paused_reason", "timezone")
    search_fields = ("=cron_id", "schedule")
    list_select_related = ("assistant",)
    ordering = ("-created_at",)
    actions = ["pause", "resume", "run_now"]
    fields = (
        "cron_id",
        "assistant",
        "thread",
        "schedule",
        "timezone",
        "payload_json",
        "metadata_json",
        "enabled",
        "paused_reason",
        "end_time",
        "max_runs",
        "total_run_count",
        "consecutive_failures",
        "next_run_date",
        "last_run_at",
        "periodic_task_link",
        "recent_runs",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # crons are created through the API, which schedules them in celery beat

    def delete_model(self, request: HttpRequest, cron: Cron) -> None:
        services.delete_cron(cron.cron_id)  # removes the periodic task too

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for cron_id in queryset.values_list("cron_id", flat=True):
            services.delete_cron(cron_id)

    @admin.display(description="payload")
    def payload_json(self, cron: Cron) -> str:
        return pretty_json(cron.payload)

    @admin.display(description="metadata")
    def metadata_json(self, cron: Cron) -> str:
        return pretty_json(cron.metadata)

    @admin.display(description="celery beat task")
    def periodic_task_link(self, cron: Cron) -> str:
        task = PeriodicTask.objects.filter(name=cron.periodic_task_name).first()
        if task is None:
            return "-"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
        return format_html('<a href="{}">{}</a>', url, task.name)

    @admin.display(description="recent runs (history)")
    def recent_runs(self, cron: Cron) -> str:
        records = list(cron.history.order_by("-created_at")[:RECENT_RUNS_SHOWN])
        if not records:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    record.run_id,
                    status_badge(record.status),
                    record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{record.duration_s:.1f} s" if record.duration_s is not None else "-",
                    (record.error or {}).get("message", "") if isinstance(record.error, dict) else record.error or "",
                    Truncator(json.dumps(record.output, default=str)).chars(120) if record.output else "",
                )
                for record in records
            ),
        )
        return format_html(
            "<table><thead><tr><th>run</th><th>status</th><th>created</th><th>duration</th><th>error</th>"
            "<th>output</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.action(description="Pause selected crons")
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        for cron_id in queryset.values_list("cron_id", flat=True):
            services.patch_cron(cron_id, {"enabled": False})
        self.message_user(request, "paused", messages.SUCCESS)

    @admin.action(description="Resume selected crons")
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        for cron_id in queryset.values_list("cron_id", flat=True):
            services.patch_cron(cron_id, {"enabled": True})
        self.message_user(request, "resumed", messages.SUCCESS)

    @admin.action(description="Run selected crons now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        started = [services.fire_cron(str(cron_id)) for cron_id in queryset.values_list("cron_id", flat=True)]
        self.message_user(request, f"started {sum(1 for run in started if run)} run(s)", messages.SUCCESS)


class CronAwarePeriodicTaskAdmin(PeriodicTaskAdmin):
    """django-celery-beat's admin, with the tasks our crons own read-only and linked to their cron."""

    def get_list_display(self, request: HttpRequest) -> tuple:
        return (*super().get_list_display(request), "managed_by")

    @admin.display(description="managed by")
    def managed_by(self, task: PeriodicTask) -> str:
        if not task.name.startswith("cron:"):
            return "-"
        cron_id = task.name.removeprefix("cron:")
        url = reverse("admin:crons_cron_change", args=[cron_id])
        return format_html('<a href="{}">cron {}</a>', url, cron_id)

    @staticmethod
    def _cron_owned(obj: PeriodicTask | None) -> bool:
        return obj is not None and obj.name.startswith("cron:")

    def get_fieldsets(self, request: HttpRequest, obj: PeriodicTask | None = None) -> list:
        if self._cron_owned(obj):
            return [(None, {"fields": ("managed_by", *(f.name for f in obj._meta.fields))})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: PeriodicTask | None = None) -> tuple:
        if self._cron_owned(obj):
            return ("managed_by", *(field.name for field in obj._meta.fields))
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PeriodicTask | None = None) -> bool:
        if self._cron_owned(obj):
            return False  # delete the cron instead
        return super().has_delete_permission(request, obj)


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, CronAwarePeriodicTaskAdmin)
