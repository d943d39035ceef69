"""Bad input gets upstream's status codes and a JSON body naming the problem."""

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(assistants) -> Client:
    return Client()


def post(client: Client, path: str, body: object) -> tuple[int, dict]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, response.json()


def test_missing_thread_is_404(client: Client) -> None:
    missing = uuid.uuid4()
    response = client.get(f"/threads/{missing}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Thread with ID {missing} not found"}


def test_malformed_path_id_is_422(client: Client) -> None:
    response = client.get("/threads/not-a-uuid")
    assert response.status_code == 422
    assert "thread_id" in response.json()["detail"]


def test_unknown_path_is_json_404(client: Client) -> None:
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_duplicate_thread_id_is_409_and_do_nothing_returns_it(client: Client) -> None:
    thread_id = str(uuid.uuid4())
    assert post(client, "/threads", {"thread_id": thread_id, "metadata": {"a": 1}})[0] == 200
    status, body = post(client, "/threads", {"thread_id": thread_id})
    assert status == 409
    assert thread_id in body["detail"]
    status, body = post(client, "/threads", {"thread_id": thread_id, "if_exists": "do_nothing"})
    assert status == 200
    assert body["metadata"] == {"a": 1}


def test_invalid_json_is_422(client: Client) -> None:
    response = client.post("/threads", b"{not json", content_type="application/json")
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_run_without_assistant_id_is_422(client: Client) -> None:
    thread = post(client, "/threads", {})[1]
    status, body = post(client, f"/threads/{thread['thread_id']}/runs", {"input": {}})
    assert status == 422
    assert body["detail"] == "assistant_id: This field is required."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assistant_id": "agent", "multitask_strategy": "sometimes"}, "multitask_strategy"),
        ({"assistant_id": "agent", "stream_mode": ["telepathy"]}, "stream_mode"),
        ({"assistant_id": "agent", "webhook": "ftp://example.com/hook"}, "webhook"),
        ({"assistant_id": "agent", "no_such_option": 1}, "no_such_option"),
        ({"assistant_id": "agent", "metadata": "not an object"}, "metadata"),
    ],
)
def test_bad_run_fields_are_422_naming_the_field(client: Client, body: dict, field: str) -> None:
    thread = post(client, "/threads", {})[1]
    status, error = post(client, f"/threads/{thread['thread_id']}/runs", body)
    assert status == 422
    assert error["detail"].startswith(f"{field}:")


def test_unknown_assistant_is_rejected_and_nothing_is_stored(client: Client) -> None:
    from apps.runs.models import Run

    thread = post(client, "/threads", {})[1]
    # As upstream: a name that is no graph is malformed (422), a UUID that is no assistant is missing (404).
    status, body = post(client, f"/threads/{thread['thread_id']}/runs", {"assistant_id": "nope"})
    assert status == 422
    assert "Invalid assistant: 'nope'" in body["detail"]
    status, body = post(client, f"/threads/{thread['thread_id']}/runs", {"assistant_id": str(uuid.uuid4())})
    assert status == 404
    assert not Run.objects.exists()


def test_run_on_missing_thread_is_404(client: Client) -> None:
    status, _ = post(client, f"/threads/{uuid.uuid4()}/runs", {"assistant_id": "agent"})
    assert status == 404


def test_missing_run_is_404(client: Client) -> None:
    thread = post(client, "/threads", {})[1]
    response = client.get(f"/threads/{thread['thread_id']}/runs/{uuid.uuid4()}")
    assert response.status_code == 404


def test_assistant_for_unknown_graph_is_404(client: Client) -> None:
    status, body = post(client, "/assistants", {"graph_id": "nope"})
    assert status == 404
    assert "nope" in body["detail"]


def test_body_must_be_an_object(client: Client) -> None:
    status, body = post(client, "/threads/search", [1, 2])
    assert status == 422
    assert "JSON object" in body["detail"]
