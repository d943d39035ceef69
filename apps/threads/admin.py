from django.contrib import admin

from apps.threads.models import Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("thread_id", "status", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("thread_id",)
    readonly_fields = ("thread_id", "created_at", "updated_at", "state_updated_at", "values", "interrupts")
    # The changelist must stay fast on large tables: no COUNT(*) per page.
    show_full_result_count = False
