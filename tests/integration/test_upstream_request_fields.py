"""Request fields upstream's API takes and this server implements beyond the basics: thread
search `extract`, `order_by` on searches, `select` on a thread's runs, DELETE assistant
`delete_threads`, `/latest?version=`, `/ok?check_db=1`, and the run fields accepted and ignored."""

import pytest
from django.test import Client

from apps.threads.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)


def post(client: Client, path: str, body: object) -> tuple[int, object]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, response.json()


def test_thread_search_extract(assistants) -> None:
    client = Client()
    _, thread = post(client, "/threads", {"metadata": {"t": "extract"}})
    Thread.objects.filter(pk=thread["thread_id"]).update(
        values={"messages": [{"content": "first"}, {"content": "last"}]}
    )
    status, found = post(
        client,
        "/threads/search",
        {"metadata": {"t": "extract"}, "extract": {"last": "values.messages[-1].content", "none": "values.nope[3]"}},
    )
    assert status == 200
    assert found[0]["extracted"] == {"last": "last", "none": None}
    status, body = post(client, "/threads/search", {"extract": {"x": "secrets.a"}})
    assert status == 422 and "extract" in body["detail"]


def test_order_by_on_assistant_and_cron_searches(assistants) -> None:
    client = Client()
    status, ascending = post(client, "/assistants/search", {"order_by": "graph_id", "limit": 100})
    assert status == 200
    graph_ids = [a["graph_id"] for a in ascending]
    assert graph_ids == sorted(graph_ids)
    status, descending = post(client, "/assistants/search", {"order_by": "-graph_id", "limit": 100})
    assert [a["graph_id"] for a in descending] == sorted(graph_ids, reverse=True)
    assert post(client, "/runs/crons/search", {"order_by": "-created_at"})[0] == 200


def test_thread_runs_select(assistants, no_dispatch) -> None:
    client = Client()
    _, thread = post(client, "/threads", {})
    post(client, f"/threads/{thread['thread_id']}/runs", {"assistant_id": "slow", "feedback_keys": ["k"]})
    runs = client.get(f"/threads/{thread['thread_id']}/runs?select=run_id&select=status").json()
    assert len(runs) == 1 and set(runs[0]) == {"run_id", "status"}
    assert client.get(f"/threads/{thread['thread_id']}/runs?select=password").status_code == 422


def test_run_fields_upstream_takes_are_accepted(assistants, no_dispatch) -> None:
    client = Client()
    body = {"assistant_id": "slow", "feedback_keys": ["score"], "langsmith_tracer": {"project_name": "p"}}
    status, run = post(client, "/runs", {**body, "strict_resume": True})
    assert status == 200, run
    status, refused = post(client, "/runs", {**body, "not_a_field": 1})
    assert status == 422 and "not_a_field" in refused["detail"]


def test_delete_assistant_with_its_threads(assistants) -> None:
    client = Client()
    _, assistant = post(client, "/assistants", {"graph_id": "slow"})
    _, mine = post(client, "/threads", {"metadata": {"assistant_id": assistant["assistant_id"]}})
    _, other = post(client, "/threads", {})
    assert client.delete(f"/assistants/{assistant['assistant_id']}?delete_threads=true").status_code == 204
    assert client.get(f"/threads/{mine['thread_id']}").status_code == 404
    assert client.get(f"/threads/{other['thread_id']}").status_code == 200


def test_set_latest_version_from_the_query(assistants) -> None:
    client = Client()
    _, assistant = post(client, "/assistants", {"graph_id": "slow", "name": "v1"})
    client.patch(f"/assistants/{assistant['assistant_id']}", {"name": "v2"}, content_type="application/json")
    status, body = post(client, f"/assistants/{assistant['assistant_id']}/latest?version=1", None)
    assert status == 200 and body["version"] == 1 and body["name"] == "v1"


def test_ok_checks_the_database_when_asked(assistants) -> None:
    assert Client().get("/ok?check_db=1").json() == {"ok": True}


def test_a_superstep_may_be_a_command(assistants) -> None:
    supersteps = [
        {"updates": [{"values": {"steps": ["a"]}, "as_node": "__start__"}]},
        {"updates": [{"command": {"update": {"steps": ["slept"]}, "goto": "finish"}, "as_node": "wait_a_while"}]},
    ]
    status, thread = post(Client(), "/threads", {"metadata": {"graph_id": "slow"}, "supersteps": supersteps})
    assert status == 200, thread
    assert thread["values"] == {"steps": ["a", "slept"]}
    state = Client().get(f"/threads/{thread['thread_id']}/state").json()
    assert state["next"] == ["finish"]
    bad = [{"updates": [{"command": {"jump": "x"}, "as_node": "wait_a_while"}]}]
    status, body = post(Client(), "/threads", {"metadata": {"graph_id": "slow"}, "supersteps": bad})
    assert status == 422 and "jump" in body["detail"]
