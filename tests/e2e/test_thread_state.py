"""Thread state through the SDK: update_state (as_node, from a checkpoint), state at a
checkpoint, history filters, copy, forking runs, and the human-in-the-loop controls."""

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import BadRequestError, ConflictError, NotFoundError, UnprocessableEntityError

from tests.e2e.conftest import run

FAST = {"configurable": {"delay": 0}}


def test_update_state_as_node_and_read_it_back(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        fresh = await client.threads.create()
        with pytest.raises(BadRequestError, match="no assigned graph ID"):
            await client.threads.update_state(fresh["thread_id"], {"steps": ["x"]})

        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
        updated = await client.threads.update_state(thread_id, {"steps": ["x"]})
        assert updated["checkpoint"]["thread_id"] == thread_id
        assert updated["checkpoint_id"] == updated["checkpoint"]["checkpoint_id"]
        await client.threads.update_state(thread_id, {"steps": ["y"]}, as_node="finish")

        state = await client.threads.get_state(thread_id)
        assert state["values"]["steps"] == ["a", "slept", "finished", "x", "y"]
        assert state["metadata"]["source"] == "update"
        assert state["checkpoint_id"] != updated["checkpoint_id"]
        # The thread row follows (values are searchable).
        thread = await client.threads.get(thread_id)
        assert thread["values"]["steps"][-1] == "y"
        assert thread["status"] == "idle"

        with pytest.raises(BadRequestError, match="nonexistent"):
            await client.threads.update_state(thread_id, {"steps": ["z"]}, as_node="nonexistent")
        with pytest.raises(NotFoundError):
            await client.threads.update_state("00000000-0000-0000-0000-000000000001", {"steps": ["z"]})

    run(main())


def test_update_state_is_refused_while_a_run_is_in_flight(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
        running = await client.runs.create(
            thread_id, "slow", input={"steps": ["b"]}, config={"configurable": {"delay": 2}}
        )
        with pytest.raises(ConflictError):
            await client.threads.update_state(thread_id, {"steps": ["x"]})
        await client.runs.cancel(thread_id, running["run_id"], wait=True)

    run(main())


def test_state_at_a_checkpoint_history_filters_and_forking(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
        history = await client.threads.get_history(thread_id)
        # input (-1), then after each node; newest first
        assert [h["metadata"]["step"] for h in history] == [2, 1, 0, -1]
        first_step = history[2]

        by_id = await client.threads.get_state(thread_id, checkpoint_id=first_step["checkpoint_id"])
        assert by_id["values"] == {"steps": ["a"]}
        by_checkpoint = await client.threads.get_state(thread_id, checkpoint=first_step["checkpoint"])
        assert by_checkpoint["checkpoint_id"] == first_step["checkpoint_id"]
        with pytest.raises(NotFoundError):
            await client.threads.get_state(thread_id, checkpoint_id="1ef4a9b8-e6fb-67b1-8001-abd5184439d1")

        loops = await client.threads.get_history(thread_id, metadata={"source": "loop"})
        assert {h["metadata"]["source"] for h in loops} == {"loop"} and len(loops) == 3
        older = await client.threads.get_history(thread_id, before=history[1]["checkpoint"], limit=1)
        assert [h["checkpoint_id"] for h in older] == [history[2]["checkpoint_id"]]

        # Edit the past (a fork), then run from the fork: the old branch stays in the history.
        fork = await client.threads.update_state(
            thread_id, {"steps": ["edited"]}, checkpoint_id=first_step["checkpoint_id"], as_node="wait_a_while"
        )
        result = await client.runs.wait(thread_id, "slow", input=None, checkpoint=fork["checkpoint"], config=FAST)
        assert result["steps"] == ["a", "edited", "finished"]
        # Replaying from a checkpoint re-runs what came after it.
        replay = await client.runs.wait(
            thread_id, "slow", input=None, checkpoint_id=history[3]["checkpoint_id"], config=FAST
        )
        assert replay["steps"] == ["a", "slept", "finished"]

    run(main())


def test_copy_thread_keeps_state_and_history_and_is_independent(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        source = await client.threads.create(metadata={"team": "copy"})
        thread_id = source["thread_id"]
        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)

        copy = await client.threads.copy(thread_id)
        assert copy["thread_id"] != thread_id
        assert copy["metadata"]["team"] == "copy" and copy["metadata"]["graph_id"] == "slow"
        copied_state = await client.threads.get_state(copy["thread_id"])
        assert copied_state["values"] == {"steps": ["a", "slept", "finished"]}
        assert copied_state["checkpoint"]["thread_id"] == copy["thread_id"]
        assert len(await client.threads.get_history(copy["thread_id"])) == 4

        await client.runs.wait(copy["thread_id"], "slow", input={"steps": ["b"]}, config=FAST)
        assert (await client.threads.get_state(thread_id))["values"]["steps"] == ["a", "slept", "finished"]
        # Deleting the source leaves the copy whole.
        await client.threads.delete(thread_id)
        assert len((await client.threads.get_state(copy["thread_id"]))["values"]["steps"]) == 6
        with pytest.raises(NotFoundError):
            await client.threads.copy(thread_id)

    run(main())


def test_interrupt_before_and_after_then_continue(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        paused = await client.runs.wait(
            thread_id, "slow", input={"steps": ["a"]}, interrupt_before=["finish"], config=FAST
        )
        assert paused["steps"] == ["a", "slept"]
        state = await client.threads.get_state(thread_id)
        assert state["next"] == ["finish"]
        assert (await client.threads.get(thread_id))["status"] == "interrupted"

        done = await client.runs.wait(thread_id, "slow", input=None, config=FAST)
        assert done["steps"] == ["a", "slept", "finished"]
        assert (await client.threads.get(thread_id))["status"] == "idle"

        other = (await client.threads.create())["thread_id"]
        after = await client.runs.wait(
            other, "slow", input={"steps": ["b"]}, interrupt_after=["wait_a_while"], config=FAST
        )
        assert after["steps"] == ["b", "slept"]
        assert (await client.threads.get_state(other))["next"] == ["finish"]

    run(main())


def test_command_goto_and_update(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
        # Jump straight to `finish`, with an update applied first.
        result = await client.runs.wait(
            thread_id, "slow", command={"goto": "finish", "update": {"steps": ["jumped"]}}, config=FAST
        )
        assert result["steps"] == ["a", "slept", "finished", "jumped", "finished"]

        asking = (await client.threads.create())["thread_id"]
        first = await client.runs.wait(asking, "asking", input={"steps": []})
        assert first["__interrupt__"][0]["value"] == {"question": "approve?"}
        thread = await client.threads.get(asking)
        assert thread["status"] == "interrupted"
        assert list(thread["interrupts"].values())[0][0]["value"] == {"question": "approve?"}
        resumed = await client.runs.wait(asking, "asking", command={"resume": "yes"})
        assert resumed["answer"] == "yes"
        assert (await client.threads.get(asking))["interrupts"] == {}

    run(main())


def test_create_a_thread_from_supersteps(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        supersteps = [
            {"updates": [{"values": {"steps": ["a"]}, "as_node": "__start__"}]},
            {"updates": [{"values": {"steps": ["slept"]}, "as_node": "wait_a_while"}]},
        ]
        thread = await client.threads.create(graph_id="slow", supersteps=supersteps, metadata={"kind": "seeded"})
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"] == {"steps": ["a", "slept"]}
        assert state["next"] == ["finish"]
        assert thread["values"] == {"steps": ["a", "slept"]}
        done = await client.runs.wait(thread["thread_id"], "slow", input=None, config=FAST)
        assert done["steps"] == ["a", "slept", "finished"]

        bad = [{"updates": [{"values": {"steps": ["x"]}, "as_node": "no_such_node"}]}]
        with pytest.raises(BadRequestError):
            await client.threads.create(graph_id="slow", supersteps=bad, metadata={"kind": "bad-seed"})
        assert await client.threads.search(metadata={"kind": "bad-seed"}) == []
        with pytest.raises(UnprocessableEntityError, match="graph_id"):
            await client.threads.create(supersteps=supersteps)

    run(main())


def test_thread_storage_counts_what_the_checkpointer_holds(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        empty = httpx.get(f"{url}/threads/{thread_id}/storage").json()
        assert empty["total_bytes"] == 0 and empty["checkpoints"] == {"count": 0, "bytes": 0}

        await client.runs.wait(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
        storage = httpx.get(f"{url}/threads/{thread_id}/storage").json()
        assert storage["thread_id"] == thread_id
        assert storage["checkpoints"]["count"] == len(await client.threads.get_history(thread_id))
        assert storage["channel_values"]["by_channel"]["steps"]["versions"] >= 3
        parts = storage["checkpoints"]["bytes"] + storage["channel_values"]["bytes"]
        assert storage["total_bytes"] == parts + storage["pending_writes"]["bytes"] > 0
        assert httpx.get(f"{url}/threads/00000000-0000-0000-0000-000000000001/storage").status_code == 404

    run(main())
