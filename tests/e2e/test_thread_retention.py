"""Thread TTL and prune through langgraph_sdk."""

import datetime

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError

from tests.e2e.conftest import run

FAST = {"configurable": {"delay": 0}}


def test_thread_ttl_is_stored_and_shown_with_include(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create(ttl=30)  # the SDK sends {"ttl": 30, "strategy": "delete"}
        plain = await client.threads.get(thread["thread_id"])
        assert "ttl" not in plain

        shown = await client.threads.get(thread["thread_id"], include=["ttl"])
        assert shown["ttl"]["strategy"] == "delete" and shown["ttl"]["ttl_minutes"] == 30
        expires_at = datetime.datetime.fromisoformat(shown["ttl"]["expires_at"])
        updated_at = datetime.datetime.fromisoformat(shown["updated_at"])
        assert expires_at == updated_at + datetime.timedelta(minutes=30)

        await client.threads.update(thread["thread_id"], metadata={}, ttl={"ttl": 5, "strategy": "keep_latest"})
        updated = await client.threads.get(thread["thread_id"], include=["ttl"])
        assert updated["ttl"]["strategy"] == "keep_latest" and updated["ttl"]["ttl_minutes"] == 5
        assert datetime.datetime.fromisoformat(updated["ttl"]["expires_at"]) < expires_at

    run(main())


def test_prune_deletes_threads_or_keeps_their_latest_state(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        doomed, kept = await client.threads.create(), await client.threads.create()
        for thread in (doomed, kept, kept):
            await client.runs.wait(thread["thread_id"], "slow", input={}, config=FAST)
        assert len(await client.threads.get_history(kept["thread_id"])) > 1

        assert await client.threads.prune([doomed["thread_id"]]) == {"pruned_count": 1}
        with pytest.raises(NotFoundError):
            await client.threads.get(doomed["thread_id"])

        result = await client.threads.prune([kept["thread_id"]], strategy="keep_latest")
        assert result == {"pruned_count": 1}
        history = await client.threads.get_history(kept["thread_id"])
        assert len(history) == 1
        assert history[0]["values"] == {"steps": ["slept", "finished"] * 2}
        state = await client.threads.get_state(kept["thread_id"])
        assert state["values"] == history[0]["values"]

    run(main())
