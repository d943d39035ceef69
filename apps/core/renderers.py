from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer

from apps.core.jsonutil import dumps


class ORJSONRenderer(BaseRenderer):
    """Fast JSON rendering that also understands LangChain/pydantic objects."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Every error and body is JSON whatever the Accept header says.

    SSE endpoints return their own StreamingHttpResponse; the SDK sends
    `Accept: text/event-stream` there, and a 406 would hide the real answer.
    """

    def select_parser(self, request: Any, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type
