"""The store (long-term memory) through the official SDK: items, search, namespaces, and graphs using it."""

import uuid

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import BadRequestError, UnprocessableEntityError

from tests.e2e.conftest import run


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def test_put_get_delete_and_missing_items(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        namespace = [unique("docs"), "alice"]
        await client.store.put_item(namespace, "doc1", {"title": "Plan", "n": 1})
        item = await client.store.get_item(namespace, "doc1")
        assert item["namespace"] == namespace and item["key"] == "doc1"
        assert item["value"] == {"title": "Plan", "n": 1}
        assert item["created_at"] and item["updated_at"]

        await client.store.put_item(namespace, "doc1", {"title": "Plan v2"})
        updated = await client.store.get_item(namespace, "doc1", refresh_ttl=True)
        assert updated["value"] == {"title": "Plan v2"}
        assert updated["created_at"] == item["created_at"] and updated["updated_at"] >= item["updated_at"]

        # A missing item is a JSON null, as upstream answers (the SDK returns None).
        assert await client.store.get_item(namespace, "nope") is None
        await client.store.delete_item(namespace, "doc1")
        assert await client.store.get_item(namespace, "doc1") is None
        await client.store.delete_item(namespace, "doc1")  # deleting again is fine

    run(main())


def test_search_with_filter_limit_offset_and_query(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        root = unique("search")
        for i in range(5):
            await client.store.put_item([root, "a"], f"k{i}", {"kind": "even" if i % 2 == 0 else "odd", "i": i})
        await client.store.put_item([root, "b"], "other", {"kind": "even", "i": 9})

        everything = (await client.store.search_items([root], limit=100))["items"]
        assert len(everything) == 6
        assert {"namespace", "key", "value", "created_at", "updated_at"} <= set(everything[0])

        evens = (await client.store.search_items([root, "a"], filter={"kind": "even"}))["items"]
        assert sorted(item["key"] for item in evens) == ["k0", "k2", "k4"]
        big = (await client.store.search_items([root], filter={"kind": "even", "i": {"$gte": 4}}))["items"]
        assert sorted(item["key"] for item in big) == ["k4", "other"]

        # Newest first; limit and offset page through.
        first = (await client.store.search_items([root, "a"], limit=2))["items"]
        rest = (await client.store.search_items([root, "a"], limit=10, offset=2))["items"]
        assert [item["key"] for item in first] == ["k4", "k3"]
        assert [item["key"] for item in rest] == ["k2", "k1", "k0"]

        # Without a store index a query cannot rank: items are listed as without one.
        queried = (await client.store.search_items([root, "a"], query="odd numbers", limit=10))["items"]
        assert len(queried) == 5

    run(main())


def test_list_namespaces_with_prefix_suffix_and_max_depth(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        root = unique("ns")
        for namespace in ([root, "users", "u1", "memories"], [root, "users", "u2", "memories"], [root, "docs"]):
            await client.store.put_item(namespace, "k", {"x": 1})

        listed = (await client.store.list_namespaces(prefix=[root]))["namespaces"]
        assert listed == [[root, "docs"], [root, "users", "u1", "memories"], [root, "users", "u2", "memories"]]
        shallow = (await client.store.list_namespaces(prefix=[root], max_depth=2))["namespaces"]
        assert shallow == [[root, "docs"], [root, "users"]]
        by_suffix = (await client.store.list_namespaces(prefix=[root], suffix=["memories"]))["namespaces"]
        assert len(by_suffix) == 2
        wildcard = (await client.store.list_namespaces(prefix=[root, "users", "*", "memories"]))["namespaces"]
        assert len(wildcard) == 2
        paged = (await client.store.list_namespaces(prefix=[root], limit=1, offset=1))["namespaces"]
        assert paged == [[root, "users", "u1", "memories"]]

    run(main())


def test_bad_namespaces_and_bodies_are_rejected(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        with pytest.raises(UnprocessableEntityError):
            await client.store.put_item(["ok", ""], "k", {"x": 1})  # empty label
        with pytest.raises(UnprocessableEntityError):
            await client.store.put_item([], "k", {"x": 1})
        with pytest.raises(UnprocessableEntityError):
            await client.store.search_items(["a"], filter={"x": {"$regex": "."}})
        with pytest.raises(BadRequestError):
            await client.http.get("/store/items", params={"namespace": "a"})  # no key

    run(main())
    # The SDK refuses a '.' in a label itself; the server does too.
    dotted = httpx.put(f"{url}/store/items", json={"namespace": ["a.b"], "key": "k", "value": {}})
    assert dotted.status_code == 422
    assert dotted.json() == {"detail": "Namespace label 'a.b' must be a non-empty string without periods"}
    assert httpx.put(f"{url}/store/items", json={"namespace": ["a"], "key": "k", "value": [1]}).status_code == 422
    assert httpx.get(f"{url}/store/items", params={"namespace": "a..b", "key": "k"}).status_code == 422


def test_a_graph_remembers_across_threads(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        user = unique("user")
        first, second = await client.threads.create(), await client.threads.create()
        out = await client.runs.wait(first["thread_id"], "memory", input={"user": user, "remember": "likes tea"})
        assert out["recalled"] == ["likes tea"]
        out = await client.runs.wait(second["thread_id"], "memory", input={"user": user})
        assert out["recalled"] == ["likes tea"]  # another thread, the same memory

        # What the graph wrote is what the API serves, and the other way round.
        await client.store.put_item(["memories", user], "from-api", {"text": "speaks French"})
        out = await client.runs.wait(second["thread_id"], "memory", input={"user": user})
        assert out["recalled"] == ["likes tea", "speaks French"]
        found = (await client.store.search_items(["memories", user]))["items"]
        assert sorted(item["value"]["text"] for item in found) == ["likes tea", "speaks French"]

    run(main())
