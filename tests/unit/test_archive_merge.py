"""POST /runs/search merges live runs with archived records (apps/runs/archive.py)."""

from collections.abc import Iterator

import pytest

from apps.runs import archive

LIVE = {"run_id": "r1", "status": "success", "created_at": "2026-12-03T10:00:00+00:00", "metadata": {"live": True}}
RECORD = {**LIVE, "status": "running", "started_at": "2026-12-03T10:00:01+00:00", "output": {"answer": 42}}
GONE = {"run_id": "r0", "status": "error", "created_at": "2026-12-03T09:00:00+00:00", "started_at": None}


@pytest.fixture
def history() -> Iterator[None]:
    def source(filters: dict, limit: int) -> list[dict]:
        return [RECORD, GONE][:limit]

    archive.register(source)
    yield
    archive._sources.remove(source)


def test_a_run_with_both_a_row_and_a_record_keeps_the_rows_fields_and_the_records_extras(history: None) -> None:
    merged = archive.merge([LIVE], {}, limit=10, offset=0)
    assert [run["run_id"] for run in merged] == ["r1", "r0"]  # newest first, one per run
    assert merged[0]["status"] == "success" and merged[0]["metadata"] == {"live": True}
    assert merged[0]["started_at"] == RECORD["started_at"] and merged[0]["output"] == {"answer": 42}
    assert archive.merge([LIVE], {}, limit=1, offset=1) == [GONE]
