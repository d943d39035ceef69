"""The embeddings behind the store's semantic search (langgraph.json `store.index.embed`)."""

import asyncio
import inspect
from typing import Any

from langgraph.store.base import ensure_embeddings
from langgraph.store.base.embed import EmbeddingsLambda


class _SyncBridgedEmbeddings(EmbeddingsLambda):
    """An async embed function that the API's sync views can call too (on a loop of their own)."""

    def __init__(self, afunc: Any) -> None:
        super().__init__(afunc)
        self.func = lambda texts: asyncio.run(afunc(texts))


def as_embeddings(target: Any) -> Any:
    """A LangChain Embeddings for an Embeddings, a (sync or async) function, or a 'provider:model' string."""
    if inspect.iscoroutinefunction(target):
        return _SyncBridgedEmbeddings(target)
    return ensure_embeddings(target)
