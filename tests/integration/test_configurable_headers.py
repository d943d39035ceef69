"""langgraph.json `http.configurable_headers`: the request headers it names reach the run's `configurable`."""

import dataclasses

import pytest
from django.test import Client

from apps.core.headers import HeaderFilter
from apps.graphs import config as graph_config
from apps.runs import services

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = {"X-User-Id": "u1", "My-Thing": "t", "My-Secret": "s", "X-Other": "o", "Authorization": "Bearer z"}


@pytest.fixture
def filter_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = dataclasses.replace(
        graph_config.get_config(), configurable_headers=HeaderFilter(("x-user-id", "my-*"), ("my-secret",))
    )
    monkeypatch.setattr(services, "get_config", lambda: configured)


def configurable_of_new_run(client: Client, body: dict) -> dict:
    thread = client.post("/threads", {}, content_type="application/json").json()
    response = client.post(
        f"/threads/{thread['thread_id']}/runs", body, content_type="application/json", headers=HEADERS
    )
    assert response.status_code == 200, response.content
    run = client.get(f"/threads/{thread['thread_id']}/runs/{response.json()['run_id']}").json()
    return (run["kwargs"]["config"] or {}).get("configurable") or {}


def test_included_headers_reach_the_runs_configurable_and_win_over_the_body(
    assistants, no_dispatch, filter_headers
) -> None:
    body = {"assistant_id": "slow", "config": {"configurable": {"x-user-id": "from body", "kept": 1}}}
    configurable = configurable_of_new_run(Client(), body)
    assert configurable == {"x-user-id": "u1", "my-thing": "t", "kept": 1}


def test_a_stateless_run_gets_them_too(assistants, no_dispatch, filter_headers) -> None:
    client = Client()
    response = client.post("/runs", {"assistant_id": "slow"}, content_type="application/json", headers=HEADERS)
    assert response.status_code == 200, response.content
    run = response.json()
    assert run["kwargs"]["config"]["configurable"] == {"x-user-id": "u1", "my-thing": "t"}


def test_without_the_key_no_header_is_copied(assistants, no_dispatch) -> None:
    assert configurable_of_new_run(Client(), {"assistant_id": "slow"}) == {}
