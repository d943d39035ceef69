"""langgraph.json's http.disable_<group> takes route groups away (404), as upstream does not mount them."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db(transaction=True)


def status(client: Client, method: str, path: str) -> int:
    return getattr(client, method)(path, {}, content_type="application/json").status_code


def test_disabled_threads_and_meta_answer_404_and_the_rest_stays(assistants) -> None:
    with override_settings(DISABLED_ROUTE_GROUPS=("threads", "meta")):
        client = Client()
        assert status(client, "post", "/threads") == 404
        assert status(client, "post", "/threads/search") == 404
        assert client.post("/threads", {}, content_type="application/json").json() == {"detail": "Not Found"}
        assert status(client, "get", "/info") == 404 and status(client, "get", "/openapi.json") == 404
        assert status(client, "get", "/ok") == 200
        assert status(client, "post", "/assistants/search") == 200
        # A thread's runs belong to the runs group, which stays: its view answers, not the guard.
        runs = client.get("/threads/00000000-0000-0000-0000-000000000000/runs")
        assert runs.json() != {"detail": "Not Found"}
        assert status(client, "post", "/runs/search") == 200


def test_disabled_runs_take_a_threads_runs_and_crons(assistants) -> None:
    with override_settings(DISABLED_ROUTE_GROUPS=("runs",)):
        client = Client()
        thread = client.post("/threads", {}, content_type="application/json").json()
        assert status(client, "get", f"/threads/{thread['thread_id']}") == 200
        for path in (
            f"/threads/{thread['thread_id']}/runs",
            f"/threads/{thread['thread_id']}/runs/wait",
            "/runs/crons",
        ):
            assert status(client, "post", path) == 404, path
