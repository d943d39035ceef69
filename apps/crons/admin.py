from django.contrib import admin

from apps.crons.models import Cron


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
    search_fields = ("cron_id", "schedule")
    list_select_related = ("assistant",)
    readonly_fields = (
        "cron_id",
        "assistant",
        "thread",
        "schedule",
        "timezone",
        "payload",
        "enabled",
        "paused_reason",
        "total_run_count",
        "consecutive_failures",
        "next_run_date",
        "last_run_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False  # crons are created through the API, which schedules them in celery beat
