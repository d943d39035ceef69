"""A deterministic chat model, so the example runs with no API key.

It answers from the conversation alone and streams its answer word by word,
like a real model streams tokens.
"""

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


def reply_to(messages: list[BaseMessage]) -> str:
    question = next((m.text for m in reversed(messages) if m.type == "human"), "")
    if not question:
        return "Hello! Ask me anything."
    if question.lower().startswith("what is ai"):
        return (
            "AI (Artificial Intelligence) refers to the simulation of human intelligence "
            "by machines that learn, reason and act."
        )
    return f"You said: {question}"


class FakeChatModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "fake-echo"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply_to(messages)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        words = reply_to(messages).split(" ")
        for index, word in enumerate(words):
            token = word if index == 0 else f" {word}"
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
