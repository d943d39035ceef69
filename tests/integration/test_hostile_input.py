"""Hostile input gets a 4xx JSON answer naming the problem, stores nothing, and breaks no listing.

Each case sends one bad request (issue 17: poison values the database or the
encoder cannot hold, numbers past the columns' ranges, schedules that never
fire, values of the wrong type, operators we do not implement). After it, the
database holds exactly what it held before, and every listing endpoint still
answers 200 for everyone.
"""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.assistants.models import Assistant
from apps.crons.models import Cron
from apps.runs.models import Run
from apps.threads.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)

BIG = 2**70  # beyond int64: orjson (our encoder), msgpack (the checkpointer's) and bigint columns refuse it
DEEP = 1000  # deeper than MAX_JSON_DEPTH; Python's json parser itself gives up around this depth
HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: Any = None  # JSON-encoded; bytes are sent as they are
    names: str = ""  # what the error detail must name (the field), when a field is to blame

    def __str__(self) -> str:
        return self.name


def raw(text: str) -> bytes:
    """A body as bytes, with escapes json.dumps would not write (e.g. a lone surrogate)."""
    return text.encode()


RUN = {"assistant_id": "agent"}
POISON = [
    # Integers outside int64: stored, then every read of the row failed in the encoder.
    Case("big int in thread metadata", "POST", "/threads", {"metadata": {"n": BIG}}, "metadata.n"),
    Case("negative big int in thread metadata", "POST", "/threads", {"metadata": {"n": -BIG}}, "metadata.n"),
    Case("big int in patched metadata", "PATCH", "/threads/{thread}", {"metadata": {"n": BIG}}, "metadata.n"),
    Case("big int in stateless run metadata", "POST", "/runs", {**RUN, "metadata": {"n": BIG}}, "metadata.n"),
    Case("big int in run input", "POST", "/threads/{thread}/runs", {**RUN, "input": {"n": BIG}}, "input.n"),
    Case("big int in store value", "PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {"n": BIG}}),
    Case("big int in assistant config", "POST", "/assistants", {"graph_id": "agent", "config": {"n": [BIG]}}),
    Case("big int in cron input", "POST", "/runs/crons", {**RUN, "schedule": "0 8 * * *", "input": {"n": BIG}}),
    Case("infinite float in metadata", "POST", "/threads", raw('{"metadata": {"x": 1e400}}'), "metadata.x"),
    # NUL characters: PostgreSQL's jsonb and text refuse them.
    Case(
        "NUL in state values",
        "POST",
        "/threads/{thread}/state",
        {"values": {"messages": [{"role": "user", "content": "a\x00b"}]}},
        "values.messages[0].content",
    ),
    Case("NUL in a metadata key", "POST", "/threads", {"metadata": {"a\x00": 1}}, "metadata"),
    Case("NUL in thread metadata", "POST", "/threads", {"metadata": {"a": "\x00"}}, "metadata.a"),
    Case("NUL in run input", "POST", "/threads/{thread}/runs/wait", {**RUN, "input": {"q": "\x00"}}, "input.q"),
    Case("NUL in stateless run input", "POST", "/runs/stream", {**RUN, "input": {"q": "\x00"}}, "input.q"),
    Case("NUL in cron metadata", "POST", "/runs/crons", {**RUN, "schedule": "0 8 * * *", "metadata": {"a": "\x00"}}),
    Case("NUL in assistant name", "POST", "/assistants", {"graph_id": "agent", "name": "x\x00"}, "name"),
    Case("NUL in thread search filter", "POST", "/threads/search", {"metadata": {"a": "\x00"}}, "metadata.a"),
    Case("NUL in runs search filter", "POST", "/runs/search", {"metadata": {"a": "\x00"}}, "metadata.a"),
    Case("NUL in cron search filter", "POST", "/runs/crons/search", {"metadata": {"a": "\x00"}}, "metadata.a"),
    Case("NUL in assistant search", "POST", "/assistants/search", {"graph_id": "a\x00"}, "graph_id"),
    Case("NUL in store search query", "POST", "/store/items/search", {"query": "a\x00"}, "query"),
    Case("NUL in store search filter", "POST", "/store/items/search", {"filter": {"a": "\x00"}}, "filter.a"),
    Case("NUL in a query parameter", "GET", "/store/items?namespace=a&key=k%00", None, "key"),
    Case("NUL in history before", "GET", "/threads/{thread}/history?before=%00", None, "before"),
    # Lone surrogates: valid JSON escapes, but no UTF-8 (PostgreSQL) can hold them.
    Case("lone surrogate in metadata", "POST", "/threads", raw('{"metadata": {"a": "\\ud800"}}'), "metadata.a"),
    Case("lone surrogate in a key", "POST", "/threads", raw('{"metadata": {"\\udfff": 1}}'), "metadata"),
    Case("lone surrogate in run input", "POST", "/runs", raw('{"assistant_id": "agent", "input": ["\\udc00"]}')),
    # Nesting: recursion in the parser, the encoder and the checkpointer's serializer.
    Case(
        "input nested 1000 deep",
        "POST",
        "/runs/wait",
        raw('{"assistant_id": "agent", "input": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"),
        "nested deeper than 100 levels",  # the parser itself gives up here: no field to name
    ),
    Case("metadata nested 101 deep", "POST", "/threads", {"metadata": nested(101)}, "metadata"),
    Case("body nested 100000 deep", "POST", "/threads", raw("[" * 100_000 + "]" * 100_000)),
]

HUGE = 10**30
NEVER = ["0 0 30 2 *", "0 0 31 4 *"]
OUT_OF_RANGE = [
    *(
        Case(f"offset 2^63 on {path}", "POST", path, {"offset": 2**63}, "offset")
        for path in ("/threads/search", "/runs/search", "/assistants/search", "/runs/crons/search")
    ),
    Case("offset 2^63 on store search", "POST", "/store/items/search", {"offset": 2**63}, "offset"),
    Case("offset 2^63 on namespaces", "POST", "/store/namespaces", {"offset": 2**63}, "offset"),
    Case("offset 2^63 on a thread's runs", "GET", f"/threads/{{thread}}/runs?offset={2**63}", None, "offset"),
    Case("offset 2^63 on assistant versions", "POST", "/assistants/{assistant}/versions", {"offset": 2**63}),
    Case("limit 10^30 on history", "GET", f"/threads/{{thread}}/history?limit={HUGE}", None, "limit"),
    Case("limit 10^30 on history (POST)", "POST", "/threads/{thread}/history", {"limit": HUGE}, "limit"),
    Case("limit 10^30 on a thread's runs", "GET", f"/threads/{{thread}}/runs?limit={HUGE}", None, "limit"),
    Case("limit 10^30 on thread search", "POST", "/threads/search", {"limit": HUGE}, "limit"),
    Case("after_seconds 1e308", "POST", "/threads/{thread}/runs", {**RUN, "after_seconds": 1e308}, "after_seconds"),
    Case("after_seconds 1e308, stateless", "POST", "/runs", {**RUN, "after_seconds": 1e308}, "after_seconds"),
    Case("max_runs 10^30", "POST", "/runs/crons", {**RUN, "schedule": "0 8 * * *", "max_runs": HUGE}, "max_runs"),
    Case("max_runs 10^30 on patch", "PATCH", "/runs/crons/{cron}", {"max_runs": HUGE}, "max_runs"),
    *(Case(f"cron {s!r}", "POST", "/runs/crons", {**RUN, "schedule": s}, "schedule") for s in NEVER),
    *(
        Case(f"thread cron {s!r}", "POST", "/threads/{thread}/runs/crons", {**RUN, "schedule": s}, "schedule")
        for s in NEVER
    ),
    Case("patched cron that never fires", "PATCH", "/runs/crons/{cron}", {"schedule": "0 0 30 2 *"}, "schedule"),
    Case("ttl 10^30 on a thread", "POST", "/threads", {"ttl": HUGE}, "ttl"),
    Case("recursion_limit 10^30", "POST", "/threads/{thread}/runs", {**RUN, "config": {"recursion_limit": HUGE}}),
]

WRONG_TYPE = [
    Case("null body", "POST", "/threads", raw("null"), "body"),
    Case("null body on a run", "POST", "/threads/{thread}/runs", raw("null"), "body"),
    Case("thread_id 5", "POST", "/threads", {"thread_id": 5}, "thread_id"),
    Case("run_ids of numbers", "POST", "/runs/cancel", {"thread_id": "{thread}", "run_ids": [5]}, "run_ids"),
    Case("invalid checkpoint_id on a run", "POST", "/threads/{thread}/runs", {**RUN, "checkpoint_id": "x"}),
    Case("invalid checkpoint_id on state update", "POST", "/threads/{thread}/state", {"checkpoint_id": "x"}),
    Case(
        "invalid checkpoint on state/checkpoint",
        "POST",
        "/threads/{thread}/state/checkpoint",
        {"checkpoint": {"checkpoint_id": "x"}},
        "checkpoint_id",
    ),
    Case("before 'x' on history", "GET", "/threads/{thread}/history?before=x", None, "before"),
    Case("before 'x' on history (POST)", "POST", "/threads/{thread}/history", {"before": "x"}, "before"),
    Case("unknown field on copy", "POST", "/threads/{thread}/copy", {"no_such_field": 1}, "no_such_field"),
    Case("bogus stream_mode on join", "GET", "/threads/{busy_thread}/runs/{run}/stream?stream_mode=bogus"),
    Case("$gt filter on thread search", "POST", "/threads/search", {"metadata": {"n": {"$gt": 1}}}, "$gt"),
    Case("$gt filter on thread count", "POST", "/threads/count", {"values": {"n": {"$gt": 1}}}, "$gt"),
    Case("$in filter on runs search", "POST", "/runs/search", {"metadata": {"n": {"$in": [1]}}}, "$in"),
    Case("$gt filter on crons search", "POST", "/runs/crons/search", {"metadata": {"n": {"$gt": 1}}}, "$gt"),
    Case("$gt filter on assistants", "POST", "/assistants/search", {"metadata": {"n": {"$gt": 1}}}, "$gt"),
    Case("more runs in a batch than allowed", "POST", "/runs/batch", [RUN] * 101, "body"),
]

CASES = POISON + OUT_OF_RANGE + WRONG_TYPE
LISTINGS = ["/threads/search", "/runs/search", "/assistants/search", "/runs/crons/search", "/store/items/search"]


@pytest.fixture
def world(assistants: dict, no_dispatch: list, settings: Any) -> dict[str, str]:
    """A thread with state, a thread with a pending run, a cron and a store item to aim at."""
    settings.RUNS_BATCH_MAX = 100
    client = Client()

    def ok(method: str, path: str, body: Any = None) -> Any:
        response = client.generic(method, path, json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 204), response.content
        return response.json() if response.content else None

    thread = ok("POST", "/threads", {"metadata": {"graph_id": "agent"}})["thread_id"]
    state = ok("POST", f"/threads/{thread}/state", {"values": HELLO, "as_node": "respond"})
    busy = ok("POST", "/threads", {})["thread_id"]
    run = ok("POST", f"/threads/{busy}/runs", {**RUN, "input": HELLO})["run_id"]
    cron = ok("POST", "/runs/crons", {**RUN, "schedule": "0 8 * * *", "input": HELLO})["cron_id"]
    ok("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {"n": 1}})
    return {
        "thread": thread,
        "busy_thread": busy,
        "run": run,
        "cron": cron,
        "assistant": str(assistants["agent"].assistant_id),
        "checkpoint": state["checkpoint_id"],
    }


def snapshot() -> dict[str, Any]:
    """Everything a request could have stored."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prefix, key, value::text FROM store ORDER BY prefix, key")
        store = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM checkpoints")
        checkpoints = cursor.fetchone()[0]
    return {
        "threads": list(Thread.objects.order_by("thread_id").values_list("thread_id", "metadata", "values", "status")),
        "runs": list(Run.objects.order_by("run_id").values_list("run_id", "status", "metadata")),
        "crons": list(Cron.objects.order_by("cron_id").values_list("cron_id", "schedule", "payload", "max_runs")),
        "assistants": list(Assistant.objects.order_by("assistant_id").values_list("assistant_id", "version")),
        "store": store,
        "checkpoints": checkpoints,
    }


def send(client: Client, case: Case, ids: dict[str, str]) -> Any:
    path = case.path.format(**ids)
    if case.body is None:
        return client.generic(case.method, path)
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).replace("{thread}", ids["thread"])
    return client.generic(case.method, path, body, content_type="application/json")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_refused_and_stores_nothing(world: dict[str, str], case: Case) -> None:
    client = Client()
    before = snapshot()

    response = send(client, case, world)

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert case.names in detail
    assert snapshot() == before
    for path in LISTINGS:
        listing = client.post(path, "{}", content_type="application/json")
        assert listing.status_code == 200, (path, listing.content[:300])


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/threads/search", {"offset": 2**63 - 1}),
        ("POST", "/threads/search", {"metadata": {"n": 2**63 - 1, "m": -(2**63), "s": "é\u2028\U0001f600"}}),
        ("POST", "/threads", {"metadata": {"n": 2**63 - 1, "deep": nested(90)}}),
        ("POST", "/runs/crons", {**RUN, "schedule": "0 0 29 2 *", "max_runs": 2**31 - 1}),
        ("POST", "/threads/{thread}/history", {"before": {"checkpoint_id": "{checkpoint}"}, "limit": 1000}),
        ("GET", f"/threads/{{thread}}/history?limit={2**63 - 1}&before={{checkpoint}}", None),
        ("POST", "/store/items/search", {"filter": {"n": {"$gt": 0}}}),
        ("POST", "/runs/batch", [RUN] * 100),
    ],
)
def test_values_at_the_edge_are_accepted(world: dict[str, str], method: str, path: str, body: Any) -> None:
    """The guards refuse only what cannot be held: the largest int64, a leap day, upstream's store operators pass."""
    text = json.dumps(body).replace("{thread}", world["thread"]).replace("{checkpoint}", world["checkpoint"])
    if body is None:
        response = Client().generic(method, path.format(**world))
    else:
        response = Client().generic(method, path.format(**world), text, content_type="application/json")
    assert response.status_code == 200, response.content[:300]


def test_large_floats_read_back_from_jsonb(world: dict[str, str]) -> None:
    """jsonb writes 1e123 back as its 124 digits: the thread, and every listing after it, still render."""
    client = Client()
    body = json.dumps({"metadata": {"big": 1.8523788787448564e123, "small": -1e300}})
    created = client.post("/threads", body, content_type="application/json")
    assert created.status_code == 200, created.content[:300]
    found = client.post("/threads/search", json.dumps({"metadata": {"small": -1e300}}), content_type="application/json")
    assert found.status_code == 200, found.content[:300]
    assert [t["metadata"]["big"] for t in found.json()] == [1.8523788787448564e123]
