"""Runs whose rows are gone but whose record another app keeps (a cron's run history).

A stateless cron's runs are deleted with their temporary thread; the crons app keeps
a record of each. It registers a source here (in its AppConfig.ready), so that
`POST /runs/search` answers with those records too, without `runs` importing `crons`.
"""

import datetime
from collections.abc import Callable
from typing import Any

# (filters, limit) -> newest-first run dicts (the shape of serializers.run_to_json).
ArchiveSource = Callable[[dict[str, Any], int], list[dict[str, Any]]]

_sources: list[ArchiveSource] = []


def register(source: ArchiveSource) -> None:
    if source not in _sources:
        _sources.append(source)


def merge(live: list[dict[str, Any]], filters: dict[str, Any], *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Live runs (the first offset + limit of them) and archived ones, newest first, one per run id.

    A live row wins over its archived record, field by field: it is the run itself. The
    record adds what only it holds (timings, output), so a run keeps one shape between
    its record being written and its row being deleted with its temporary thread.
    """
    wanted = offset + limit
    merged = {run["run_id"]: run for source in _sources for run in source(filters, wanted)}
    for run in live:
        merged[run["run_id"]] = {**merged.get(run["run_id"], {}), **run}
    ordered = sorted(merged.values(), key=_created_at, reverse=True)
    return ordered[offset : offset + limit]


def _created_at(run: dict[str, Any]) -> datetime.datetime:
    return (
        datetime.datetime.fromisoformat(run["created_at"])
        if run["created_at"]
        else datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )
