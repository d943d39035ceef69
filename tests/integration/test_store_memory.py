"""Graphs share long-term memory across threads through the store; expired items disappear and are swept."""

import time
import uuid

import pytest
from django.db import connection

from apps.graphs.store import get_sync_store
from apps.runs.models import RunStatus
from apps.store import services
from apps.threads.services import create_thread
from tests.integration.helpers import create_and_execute

pytestmark = pytest.mark.django_db(transaction=True)


def run_memory(user: str, thread_id: uuid.UUID, remember: str | None = None) -> dict:
    payload = {"assistant_id": "memory", "input": {"user": user, **({"remember": remember} if remember else {})}}
    run = create_and_execute(payload, thread_id)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS, run.error
    return run.thread.values


def test_a_graph_remembers_across_threads(assistants, no_dispatch) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    first = run_memory(user, create_thread().thread_id, remember="likes pizza")
    assert first["recalled"] == ["likes pizza"]

    second = run_memory(user, create_thread().thread_id, remember="lives in Lyon")
    assert second["recalled"] == ["likes pizza", "lives in Lyon"]
    assert run_memory("someone-else", create_thread().thread_id)["recalled"] == []

    found = services.search_items(["memories", user])
    assert sorted(item["value"]["text"] for item in found) == ["likes pizza", "lives in Lyon"]


def test_expired_items_are_not_served_and_get_swept(assistants) -> None:
    namespace = ["ttl", uuid.uuid4().hex[:8]]
    services.put_item(namespace, "short", {"v": 1}, ttl=0.01)  # 0.6 s
    services.put_item(namespace, "forever", {"v": 2}, ttl=None)
    assert services.get_item(tuple(namespace), "short", refresh_ttl=False) is not None
    time.sleep(0.8)

    assert services.get_item(tuple(namespace), "short", refresh_ttl=False) is None
    assert [item["key"] for item in services.search_items(namespace)] == ["forever"]
    assert services.sweep_expired_items(force=True) >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM store WHERE prefix = %s", [".".join(namespace)])
        assert [row[0] for row in cursor.fetchall()] == ["forever"]


def test_one_sweep_per_interval_whoever_asks(assistants) -> None:
    from apps.core.redis import get_redis

    get_redis().delete(services.SWEEP_GATE_KEY)
    assert services.sweep_expired_items() is not None
    assert services.sweep_expired_items() is None  # the next beat tick, or another beat: not due yet
    assert get_redis().ttl(services.SWEEP_GATE_KEY) > 0
    get_redis().delete(services.SWEEP_GATE_KEY)


def test_the_api_store_and_the_graph_store_are_the_same_table(assistants) -> None:
    namespace = ("shared", uuid.uuid4().hex[:8])
    get_sync_store().put(namespace, "k", {"from": "library"})
    assert services.get_item(namespace, "k")["value"] == {"from": "library"}
