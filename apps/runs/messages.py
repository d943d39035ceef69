"""Upstream's `messages` stream mode, built from LangGraph's (message chunk, metadata) pairs.

`messages-tuple` forwards LangGraph's pairs as they are. `messages` is what
chat UIs consume: `messages/metadata` once per message id, then, per token,
`messages/partial` with the message accumulated so far; a message a node
produced whole (not streamed) comes as `messages/complete`.
"""

from typing import Any

from langchain_core.messages import BaseMessage, BaseMessageChunk, message_chunk_to_message


class MessageAccumulator:
    def __init__(self) -> None:
        self._messages: dict[str | None, BaseMessage] = {}

    def translate(self, pair: tuple[BaseMessage, dict[str, Any]]) -> list[tuple[str, Any]]:
        """The events (name, data) one LangGraph `messages` pair becomes."""
        message, metadata = pair
        events: list[tuple[str, Any]] = []
        if message.id not in self._messages:
            events.append(("messages/metadata", {message.id: {"metadata": metadata}}))
        if isinstance(message, BaseMessageChunk):
            so_far = self._messages.get(message.id)
            accumulated = message if not isinstance(so_far, BaseMessageChunk) else so_far + message
            self._messages[message.id] = accumulated
            events.append(("messages/partial", [message_chunk_to_message(accumulated)]))
        else:
            self._messages[message.id] = message
            events.append(("messages/complete", [message]))
        return events
