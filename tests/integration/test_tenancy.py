"""Custom auth (tests/fixtures/app/auth.py): one user can neither read nor change another's threads, runs,
crons or memories, through any endpoint of upstream's API.

Bob aims every operation of the reference schema that takes a thread, run,
cron or checkpoint id at alice's: each answers 404 or 403, and alice's data
is exactly as before. Collections (search, count, prune, bulk cancel, the
store) never show or touch alice's items. Then the owner's side: a thread
that `if_not_exists` creates is its creator's, and the endpoints whose body
carries no metadata (state update, cancel, prune) do not refuse their owner.
"""

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.assistants.services import ensure_default_assistants
from apps.crons.models import Cron
from apps.graphs.registry import reset_registry
from apps.runs.models import Run, RunStatus
from apps.threads.models import Thread
from tests.conftest import FIXTURE_APP, reference_schema

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "hello"}]}
RUN = {"assistant_id": "agent", "input": HELLO}
# Ids in these paths are shared by design in the fixture (assistants), or carry no user resource.
NOT_OWNED = ("{assistant_id}", "/mcp", "/a2a/")
# A valid body for each operation, so that it is refused for whose data it aims at, not for its shape.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/threads/{thread_id}/state"): {"values": HELLO, "as_node": "respond"},
    ("POST", "/threads/{thread_id}/state/checkpoint"): {"checkpoint": {"checkpoint_id": "{checkpoint_id}"}},
    ("POST", "/threads/{thread_id}/history"): {"limit": 10},
    ("PATCH", "/threads/{thread_id}"): {"metadata": {"owner": "bob"}},
    ("POST", "/threads/{thread_id}/runs"): {**RUN, "if_not_exists": "create"},
    ("POST", "/threads/{thread_id}/runs/stream"): {**RUN, "if_not_exists": "create"},
    ("POST", "/threads/{thread_id}/runs/wait"): {**RUN, "if_not_exists": "create"},
    ("POST", "/threads/{thread_id}/runs/crons"): {**RUN, "schedule": "0 8 * * *"},
    ("PATCH", "/runs/crons/{cron_id}"): {"enabled": False, "schedule": "* * * * *"},
    ("POST", "/threads/{thread_id}/commands"): {
        "id": 1,
        "method": "run.start",
        "params": {"assistant_id": "agent", "input": HELLO},
    },
    ("POST", "/threads/{thread_id}/stream/events"): {"channels": ["lifecycle", "values"]},
}
# Ways to write to a thread through run creation, each with the ways it may find the thread.
RUN_VARIANTS = [
    {"multitask_strategy": strategy, "if_not_exists": if_not_exists}
    for strategy in ("enqueue", "reject", "interrupt", "rollback")
    for if_not_exists in ("create", "reject")
]


def reference_operations() -> list[tuple[str, str]]:
    paths = json.loads(reference_schema().read_text())["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def owned_operations() -> list[tuple[str, str]]:
    ids = ("{thread_id}", "{run_id}", "{cron_id}", "{checkpoint_id}")
    return [
        (method, path)
        for method, path in reference_operations()
        if any(i in path for i in ids) and not any(n in path for n in NOT_OWNED)
    ]


class User:
    def __init__(self, token: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if body is None:
            return self.client.generic(method, path)
        return self.client.generic(method, path, json.dumps(body), content_type="application/json")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.call(method, path, body)
        assert response.status_code in (200, 202, 204), (method, path, response.status_code, response.content[:300])
        return response.json() if response.content and not response.streaming else None


@pytest.fixture
def auth_app(settings: Any, transactional_db: None) -> None:
    settings.LANGGRAPH_CONFIG = str(FIXTURE_APP / "langgraph-auth.json")
    reset_registry()
    ensure_default_assistants()
    yield
    reset_registry()


@pytest.fixture
def alice_world(auth_app: None, no_dispatch: list) -> dict[str, str]:
    """Alice's thread with a finished run (state, checkpoints) and a pending one, her crons and a memory."""
    alice = User("token-alice")
    thread = alice.ok("POST", "/threads", {"metadata": {"topic": "secret"}})["thread_id"]
    done = alice.ok("POST", f"/threads/{thread}/runs", RUN)["run_id"]
    no_dispatch.deliver()
    pending = alice.ok("POST", f"/threads/{thread}/runs", RUN)["run_id"]
    no_dispatch.clear()  # stays pending: a target for cancels and interrupting strategies
    checkpoint = alice.ok("GET", f"/threads/{thread}/state")["checkpoint"]["checkpoint_id"]
    thread_cron = alice.ok("POST", f"/threads/{thread}/runs/crons", {**RUN, "schedule": "0 8 * * *"})["cron_id"]
    cron = alice.ok("POST", "/runs/crons", {**RUN, "schedule": "0 9 * * *"})["cron_id"]
    alice.ok("PUT", "/store/items", {"namespace": ["notes"], "key": "k", "value": {"secret": 1}})
    return {
        "thread_id": thread,
        "run_id": done,
        "pending_run_id": pending,
        "checkpoint_id": checkpoint,
        "thread_cron_id": thread_cron,
        "cron_id": cron,
    }


def alice_data(world: dict[str, str]) -> dict[str, Any]:
    """What alice owns, read past the auth filters (outside any request)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", [world["thread_id"]])
        checkpoints = cursor.fetchone()[0]
        cursor.execute("SELECT prefix, key, value::text FROM store WHERE prefix LIKE 'alice%%' ORDER BY key")
        memories = cursor.fetchall()
    alice_threads = Thread.objects.filter(metadata__owner="alice")
    return {
        "threads": list(alice_threads.order_by("thread_id").values_list("thread_id", "metadata", "values", "status")),
        "runs": list(Run.objects.filter(thread__in=alice_threads).order_by("run_id").values_list("run_id", "status")),
        "crons": list(Cron.objects.order_by("cron_id").values_list("cron_id", "schedule", "enabled", "payload")),
        "checkpoints": checkpoints,
        "memories": memories,
    }


def refusal_status(response: Any) -> int:
    """The HTTP status, or the one the thread protocol's command envelope carries: like upstream's,
    its commands answer 200 with `{"type": "error", "message": "404 ..."}` inside."""
    if response.status_code == 200 and response.get("content-type") == "application/json":
        envelope = response.json()
        if isinstance(envelope, dict) and envelope.get("type") == "error":
            return int(str(envelope.get("message", "")).split()[0].rstrip(":") or 0)
    return response.status_code


def fill(text: str, world: dict[str, str]) -> str:
    for key, value in world.items():
        text = text.replace(f"{{{key}}}", value)
    return text


def test_every_reference_operation_on_another_users_resources_is_refused(alice_world: dict[str, str]) -> None:
    bob = User("token-bob")
    before = alice_data(alice_world)
    operations = owned_operations()
    assert len(operations) >= 25, operations  # the reference lists ~30; fewer means the filter broke

    answers = {}
    for method, path in operations:
        body = BODIES.get((method, path), {} if method in ("POST", "PUT", "PATCH") else None)
        if body is not None:
            body = json.loads(fill(json.dumps(body), alice_world))
        crons = ("cron_id", "thread_cron_id") if "{cron_id}" in path else ("cron_id",)
        for cron_key in crons:  # alice's stateless cron and her thread's
            target = fill(path, {**alice_world, "cron_id": alice_world[cron_key]})
            answers[f"{method} {target}"] = refusal_status(bob.call(method, target, body))
    assert len(answers) == len(operations) + sum("{cron_id}" in path for _, path in operations)

    wrong = {where: status for where, status in answers.items() if status not in (403, 404)}
    assert not wrong, wrong
    assert alice_data(alice_world) == before


@pytest.mark.parametrize("variant", RUN_VARIANTS, ids=lambda v: f"{v['multitask_strategy']}-{v['if_not_exists']}")
@pytest.mark.parametrize("endpoint", ["runs", "runs/wait", "runs/stream"])
def test_runs_on_another_users_thread_are_404_whatever_the_strategy(
    alice_world: dict[str, str], endpoint: str, variant: dict[str, str]
) -> None:
    before = alice_data(alice_world)
    response = User("token-bob").call("POST", f"/threads/{alice_world['thread_id']}/{endpoint}", {**RUN, **variant})
    assert response.status_code == 404, response.content[:300]
    assert alice_data(alice_world) == before
    assert Run.objects.get(pk=alice_world["pending_run_id"]).status == RunStatus.PENDING


def test_collections_never_show_or_touch_another_users_items(alice_world: dict[str, str]) -> None:
    bob, thread = User("token-bob"), alice_world["thread_id"]
    before = alice_data(alice_world)

    assert bob.ok("POST", "/threads/search", {"limit": 1000}) == []
    assert bob.ok("POST", "/threads/count", {}) == 0
    assert bob.ok("POST", "/runs/search", {"limit": 1000}) == []
    assert bob.ok("POST", "/runs/crons/search", {"limit": 1000}) == []
    assert bob.ok("POST", "/runs/crons/count", {}) == 0
    assert bob.ok("POST", "/threads/prune", {"thread_ids": [thread]}) == {"pruned_count": 0}
    cancel_mine = bob.call("POST", "/runs/cancel", {"thread_id": thread, "run_ids": [alice_world["pending_run_id"]]})
    assert cancel_mine.status_code == 404
    assert bob.call("POST", "/runs/cancel", {"status": "all"}).status_code in (204, 404)
    # Taking alice's thread id for a new thread neither reveals nor replaces it.
    for if_exists in ("raise", "do_nothing"):
        taken = bob.call("POST", "/threads", {"thread_id": thread, "if_exists": if_exists})
        assert taken.status_code in (404, 409), taken.content[:300]
    # The store handler puts bob under his own namespace: alice's memories are out of reach.
    assert bob.ok("GET", "/store/items?namespace=notes&key=k") is None
    assert bob.ok("GET", "/store/items?namespace=alice.notes&key=k") is None
    bob.ok("DELETE", "/store/items", {"namespace": ["notes"], "key": "k"})
    bob.ok("DELETE", "/store/items", {"namespace": ["alice", "notes"], "key": "k"})
    assert bob.ok("POST", "/store/items/search", {"namespace_prefix": ["alice"]})["items"] == []
    assert bob.ok("POST", "/store/namespaces", {})["namespaces"] == []

    assert alice_data(alice_world) == before
    assert Run.objects.get(pk=alice_world["pending_run_id"]).status == RunStatus.PENDING


def test_a_thread_created_by_if_not_exists_belongs_to_its_creator(auth_app: None, no_dispatch: list) -> None:
    alice, bob = User("token-alice"), User("token-bob")
    for endpoint in ("runs", "runs/wait", "runs/stream"):
        thread_id = str(uuid.uuid4())
        response = alice.call("POST", f"/threads/{thread_id}/{endpoint}", {**RUN, "if_not_exists": "create"})
        assert response.status_code == 200, response.content[:300]
        assert alice.ok("GET", f"/threads/{thread_id}")["metadata"]["owner"] == "alice"
        assert bob.call("GET", f"/threads/{thread_id}").status_code == 404
    batch = alice.ok("POST", "/runs/batch", [RUN, RUN])
    assert all(Thread.objects.get(pk=run["thread_id"]).metadata["owner"] == "alice" for run in batch)


def test_endpoints_without_metadata_serve_their_owner(auth_app: None, no_dispatch: list) -> None:
    """The handler stamps `metadata` into every body; where the resource has none, the stamp is dropped, not a 422."""
    alice = User("token-alice")
    thread = alice.ok("POST", "/threads", {})["thread_id"]
    alice.ok("POST", f"/threads/{thread}/runs", RUN)
    no_dispatch.deliver()
    checkpoint = alice.ok("GET", f"/threads/{thread}/state")["checkpoint"]

    alice.ok("POST", f"/threads/{thread}/state", {"values": HELLO, "as_node": "respond"})
    alice.ok("POST", f"/threads/{thread}/state/checkpoint", {"checkpoint": checkpoint})
    assert len(alice.ok("POST", f"/threads/{thread}/history", {"limit": 10})) >= 2
    pending = alice.ok("POST", f"/threads/{thread}/runs", RUN)["run_id"]
    alice.ok("POST", f"/threads/{thread}/runs/{pending}/cancel")
    other = alice.ok("POST", f"/threads/{thread}/runs", RUN)["run_id"]
    alice.ok("POST", "/runs/cancel", {"thread_id": thread, "run_ids": [other]})
    copy = alice.ok("POST", f"/threads/{thread}/copy")["thread_id"]
    assert alice.ok("POST", "/threads/prune", {"thread_ids": [copy]}) == {"pruned_count": 1}


def test_threads_made_on_the_side_pass_the_create_handler(auth_app: None, no_dispatch: list) -> None:
    """if_not_exists and copy make threads: a user the `threads.create` handler refuses gets 403 there too."""
    alice, carol = User("token-alice"), User("token-carol")
    before = Thread.objects.count()
    assert carol.call("POST", "/threads", {}).status_code == 403
    for endpoint in ("runs", "runs/wait", "runs/stream"):
        made = carol.call("POST", f"/threads/{uuid.uuid4()}/{endpoint}", {**RUN, "if_not_exists": "create"})
        assert made.status_code == 403, made.content[:300]
    assert Thread.objects.count() == before and not Run.objects.exists()

    thread = alice.ok("POST", "/threads", {"metadata": {"topic": "x"}})["thread_id"]
    copy = alice.ok("POST", f"/threads/{thread}/copy")
    assert copy["metadata"] == {"topic": "x", "owner": "alice"}
