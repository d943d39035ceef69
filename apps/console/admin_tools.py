"""Shared admin helpers: readable JSON, status badges, short ids, and a paginator that does not COUNT huge tables."""

import json
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe

ESTIMATE_ABOVE_ROWS = 10_000

STATUS_COLORS = {
    "pending": "#6e7781",
    "running": "#0969da",
    "busy": "#0969da",
    "success": "#1a7f37",
    "idle": "#1a7f37",
    "error": "#cf222e",
    "timeout": "#9a6700",
    "interrupted": "#8250df",
}


def pretty_json(value: Any) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; max-height: 30em; overflow: auto">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, default=str),
    )


SHORT_ID_CHARS = 8
# Two overlapping sheets: the usual "copy" icon, inline so it needs no font and no file.
COPY_ICON = mark_safe(
    '<svg viewBox="0 0 16 16" aria-hidden="true"><rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" '
    'stroke="currentColor" stroke-width="1.5"/><path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" '
    'stroke="currentColor" stroke-width="1.5"/></svg>'
)


def short_id(value: Any, url: str | None = None) -> str:
    """The first characters of an id; the full id on hover (title) and behind a copy button.

    The button works with console.js; without JavaScript the title still shows the id.
    """
    full = str(value)
    text = format_html('<code class="short-id" title="{}">{}</code>', full, full[:SHORT_ID_CHARS])
    if url:
        text = format_html('<a href="{}">{}</a>', url, text)
    return format_html(
        '<span class="id-cell">{}<button type="button" class="copy-id" data-copy="{}" title="Copy {}" '
        'aria-label="Copy id">{}</button></span>',
        text,
        full,
        full,
        COPY_ICON,
    )


def compact_time(moment: Any) -> str:
    """A list cell's time: ISO-like and short (no wrapping at 1280 px), the full value on hover."""
    if moment is None:
        return "-"
    local = timezone.localtime(moment)
    stamp = local.isoformat()
    return format_html('<time datetime="{}" title="{}">{}</time>', stamp, stamp, local.strftime("%Y-%m-%d %H:%M:%S"))


class CompactTimesMixin:
    """`created` and `updated` list columns in the compact form, sortable by their fields."""

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Any) -> str:
        return compact_time(obj.created_at)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj: Any) -> str:
        return compact_time(obj.updated_at)


class ConsoleMedia:
    """The console's stylesheet and script, for the admin pages that show ids, charts and transcripts."""

    css = {"all": ("console/console.css",)}
    js = ("console/console.js",)


def status_badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#6e7781")
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;font-weight:600">{}</span>',
        color,
        status,
    )


class EstimatedCountPaginator(Paginator):
    """Unfiltered changelists of big tables use PostgreSQL's row estimate instead of COUNT(*)."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE_ROWS:
                return int(row[0])
        return super().count


class MetadataSearchMixin:
    """Admin search: an exact id, or `key=value` matching the metadata column."""

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> tuple[Any, bool]:
        if "=" in search_term:
            key, _, value = search_term.partition("=")
            return queryset.filter(metadata__contains={key.strip(): value.strip()}), False
        try:
            return super().get_search_results(request, queryset, search_term)
        except Exception:  # not a UUID: nothing matches
            return queryset.none(), False
