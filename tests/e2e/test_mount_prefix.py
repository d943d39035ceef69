"""langgraph.json's `http.mount_prefix`: the API, its docs and the admin under a path, `/ok`
also at the root, anything else 404 (as upstream's `langgraph dev` answers with the same key)."""

import re
from collections.abc import Iterator

import httpx
import pytest
from langgraph_sdk import get_client

from tests.conftest import FIXTURE_APP
from tests.e2e.conftest import LiveServer, live_server, run

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("prefix"), config=FIXTURE_APP / "langgraph-prefix.json") as started:
        yield started


def test_the_sdk_works_below_the_prefix(server: LiveServer) -> None:
    async def main() -> None:
        client = get_client(url=f"{server.url}/my-api")
        thread = await client.threads.create()
        values = await client.runs.wait(thread["thread_id"], "agent", input=HELLO)
        assert values["messages"][-1]["content"] == "You said: hello"
        events = [part.event async for part in client.runs.stream(thread["thread_id"], "agent", input=HELLO)]
        assert events[0] == "metadata" and "values" in events
        assert len(await client.assistants.search()) == 2

    run(main())


def test_only_the_health_check_answers_outside_the_prefix(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/ok").status_code == 200
        assert http.get("/my-api/ok").status_code == 200
        outside = http.post("/threads", json={})
        assert outside.status_code == 404 and outside.json() == {"detail": "Not Found"}
        assert http.get("/my-api/info").status_code == 200
        streamed = http.post("/my-api/runs/stream", json={"assistant_id": "agent", "input": HELLO})
        assert re.fullmatch(r"/threads/[0-9a-f-]+/runs/[0-9a-f-]+", streamed.headers["content-location"])


def test_the_admin_and_its_static_files_live_below_the_prefix(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        login = http.get("/my-api/admin/login/")
        assert login.status_code == 200
        stylesheets = re.findall(r'href="([^"]+\.css)"', login.text)
        assert stylesheets and all(href.startswith("/my-api/static/") for href in stylesheets)
        assert http.get(stylesheets[0]).status_code == 200
        assert http.get("/my-api/admin/").headers.get("location", "").startswith("/my-api/admin/login/")
        assert http.get("/my-api/docs").status_code == 200
        schema = http.get("/my-api/openapi.json").json()
        assert schema["servers"] == [{"url": "/my-api"}] and "/threads" in schema["paths"]
