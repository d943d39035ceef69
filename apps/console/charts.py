"""The console's charts: SVG drawn on the server by pygal, inlined in the page.

pygal's defaults link a tooltip script from a CDN: `js=()` drops it, and its
inline config script goes too, so a chart is a self-contained <svg> (its CSS
is inlined) that shows offline, without JavaScript, and prints.
"""

import datetime
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from apps.console.admin_tools import STATUS_COLORS

if TYPE_CHECKING:
    # Imported where a chart is drawn: this module loads with the admin in every API process,
    # and pygal weighs ~8 MB there for pages an operator may never open.
    import pygal
    from pygal.style import Style

SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
FONT = "-apple-system, 'Segoe UI', system-ui, Roboto, 'Helvetica Neue', Arial, sans-serif"
STEP_COLOR = "#0969da"
ERROR_COLOR = STATUS_COLORS["error"]


def _style(colors: Iterable[str]) -> "Style":
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        # The admin's own colour variables (so dark mode reads), with light-theme fallbacks.
        foreground="var(--body-quiet-color, #444)",
        foreground_strong="var(--body-fg, #222)",
        foreground_subtle="var(--hairline-color, #e5e5e5)",
        opacity="0.9",
        opacity_hover="1",
        colors=tuple(colors),
        font_family=FONT,
        title_font_size=15,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=12,
        value_font_size=11,
        no_data_font_size=16,
    )


COMMON = {
    "js": (),  # no CDN tooltip script: the SVG stands alone
    "disable_xml_declaration": True,  # inlined in HTML, not a file
    "height": 260,
    "width": 620,
    "margin": 8,
    "spacing": 8,
    "truncate_legend": -1,
    "truncate_label": -1,
    "max_scale": 6,  # a few readable guide lines rather than one per 0.1
}


def count_axis(largest: float, ticks: int = 5) -> list[int]:
    """Whole-number value labels (counts of runs), about `ticks` of them."""
    step = max(1, math.ceil(largest / ticks))
    return list(range(0, int(largest) + step + 1, step))


def render(chart: "pygal.graph.graph.Graph") -> SafeString:
    # pygal always writes an inline <script> holding its config for the tooltip script we do not
    # load: drop it, so the picture is pure SVG (and a strict Content-Security-Policy stays happy).
    svg = SCRIPT.sub("", chart.render())
    return mark_safe(svg)  # pygal escapes every label and value it writes


def _clock(moment: datetime.datetime) -> str:
    return moment.strftime("%H:%M")


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def runs_per_minute(
    title: str,
    buckets: list[datetime.datetime],
    counts: dict[datetime.datetime, dict[str, int]],
    statuses: Iterable[str],
    bucket_minutes: int,
    label_every: int,
    *,
    bars: bool = True,
) -> SafeString:
    """Runs created per minute (averaged over wider buckets), stacked by status.

    Bars (each minute readable), or with `bars=False` filled areas for long windows: pygal's
    cost is per drawn element, and a day of 96 bars by six statuses took ~0.4 s to draw where
    its areas take ~20 ms. Only the statuses seen in the window get a series, for the same reason.
    """
    seen = {status for bucket in buckets for status in counts.get(bucket, {})}
    statuses = [status for status in statuses if status in seen]
    import pygal

    kind, look = (pygal.StackedBar, {}) if bars else (pygal.StackedLine, {"fill": True, "show_dots": False})
    chart = kind(
        title=title,
        style=_style(STATUS_COLORS[s] for s in statuses),
        **look,
        x_labels=[_clock(b) for b in buckets],
        x_labels_major_every=label_every,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=max(len(statuses), 1),
        y_title="runs / min",
        no_data_text="No runs",
        value_formatter=lambda v: f"{v:g}",
        include_x_axis=True,
        **COMMON,
    )
    for status in statuses:
        chart.add(status, [counts.get(b, {}).get(status, 0) / bucket_minutes for b in buckets])
    return render(chart)


def durations(title: str, buckets: list[datetime.datetime], points: dict, label_every: int) -> SafeString:
    """Lines: p50 and p95 run duration per bucket (buckets where no run ended are skipped)."""
    import pygal

    chart = pygal.Line(
        title=title,
        style=_style(["#0969da", "#bc4c00"]),
        x_labels=[_clock(b) for b in buckets],
        x_labels_major_every=label_every,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        allow_interruptions=False,  # buckets with no finished run are skipped, the line joins its neighbours
        include_x_axis=True,  # durations from 0: a flat line near 400 ms must not look like a spike
        dots_size=2,
        y_title="seconds",
        no_data_text="No finished runs",
        value_formatter=_seconds,
        **COMMON,
    )
    chart.add("p50", [points[b][0] if b in points else None for b in buckets])
    chart.add("p95", [points[b][1] if b in points else None for b in buckets])
    return render(chart)


def errors_by_graph(title: str, errors: dict[str, int]) -> SafeString:
    """Horizontal bars: failed runs per graph."""
    import pygal

    chart = pygal.HorizontalBar(
        title=title,
        style=_style([ERROR_COLOR]),
        show_legend=False,
        print_values=True,
        no_data_text="No errors",
        value_formatter=lambda v: f"{v:g}",
        **COMMON,
    )
    if errors:
        # pygal draws the first label at the bottom: reverse so the worst graph is on top.
        names = list(errors)[::-1]
        chart.x_labels = names
        chart.y_labels = count_axis(max(errors.values()))
        chart.add("errors", [errors[name] for name in names])
    return render(chart)


def queue(title: str, bars: dict[str, int | None]) -> SafeString:
    """Horizontal bars: what waits and what runs right now."""
    import pygal

    chart = pygal.HorizontalBar(
        title=title,
        style=_style(["#6e7781"]),
        show_legend=False,
        print_values=True,
        value_formatter=lambda v: f"{v:g}",
        **COMMON,
    )
    names = list(bars)[::-1]
    chart.x_labels = names
    chart.y_labels = count_axis(max([v or 0 for v in bars.values()] + [1]))
    chart.add("now", [bars[name] for name in names])
    return render(chart)


@dataclass
class Step:
    """One bar of a timeline: what ran, from when, for how long (seconds from the origin)."""

    label: str
    start_s: float
    duration_s: float
    error: str | None = None


def timeline(title: str, steps: list[Step], *, x_title: str = "seconds from start", width: int = 720) -> SafeString:
    """A Gantt-like timeline: one bar per step, placed at its start, as long as it took.

    Drawn as pygal stacked horizontal bars whose first, invisible segment is the
    time before the step started.
    """
    import pygal

    chart = pygal.HorizontalStackedBar(
        title=title,
        style=_style(["transparent", STEP_COLOR, ERROR_COLOR]),
        show_legend=False,
        x_title=x_title,
        value_formatter=_seconds_axis,
        no_data_text="No steps recorded",
        **{**COMMON, "width": width, "height": max(140, 70 + 26 * len(steps))},
    )
    if steps:
        ordered = steps[::-1]  # the first step on top
        chart.x_labels = [_step_label(step) for step in ordered]
        chart.add("before", [step.start_s for step in ordered])
        chart.add("ran", [_bar(step, step.error is None) for step in ordered])
        chart.add("failed", [_bar(step, step.error is not None) for step in ordered])
    return render(chart)


def _seconds_axis(value: float) -> str:
    return f"{value:g}"


def _step_label(step: Step) -> str:
    label = f"{step.label} · {_seconds(step.duration_s) or '0 ms'}"
    return f"{label} · ✗ {step.error}" if step.error else label


def _bar(step: Step, shown: bool) -> dict | None:
    if not shown:
        return None
    # An instant step still gets a sliver of a bar, so every step is visible.
    return {"value": max(step.duration_s, 0.0), "label": step.label}
