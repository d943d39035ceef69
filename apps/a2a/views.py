from typing import Any

from django.urls import get_script_prefix
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.a2a import services
from apps.core import jsonrpc
from apps.core.jsonrpc import RpcError
from apps.core.views import ApiView
from apps.runs import sse
from apps.runs.views import streamed


def accepts(request: Request, media_type: str) -> bool:
    accept = request.headers.get("Accept", "*/*")
    offered = {part.split(";", 1)[0].strip() for part in accept.split(",")}
    return bool(offered & {media_type, "*/*", f"{media_type.split('/', 1)[0]}/*"})


class A2aView(ApiView):
    """POST /a2a/{assistant_id}: the A2A protocol's JSON-RPC endpoint for one assistant."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Not ApiView's: a malformed assistant id is a JSON-RPC error here (as upstream), not the API's 422.
        APIView.initial(self, request, *args, **kwargs)

    @extend_schema(
        request=dict,
        responses={(200, "application/json"): dict, (200, "text/event-stream"): str, 400: dict},
        summary="A2A JSON-RPC",
        tags=["A2A"],
    )
    def post(self, request: Request, assistant_id: str) -> Response:
        try:
            message = request.data
        except ParseError:
            return Response(jsonrpc.error(None, jsonrpc.PARSE_ERROR, "Invalid JSON payload"))
        streaming = services.method_of(message) in services.STREAMING_METHODS
        if streaming and not accepts(request, "text/event-stream"):
            return Response({"error": "Accept header must include text/event-stream for streaming"}, status=400)
        if not streaming and not accepts(request, "application/json"):
            return Response({"error": "Accept header must include application/json"}, status=400)
        answer = services.handle(assistant_id, message)
        if not isinstance(answer, services.PendingTask):
            return Response(answer)
        if streaming:
            return streamed(services.task_events(answer), request)
        # The run executes on the workers; the answer waits in the event loop, not in a request thread.
        body = sse.wait_body(str(answer.run.run_id), fresh=True, render=lambda end: services.task_result(answer, end))
        return streamed(body, request, content_type="application/json")


class AgentCardView(ApiView):
    """GET /.well-known/agent-card.json?assistant_id=: an assistant's A2A agent card."""

    @extend_schema(
        parameters=[OpenApiParameter("assistant_id", str, required=True)],
        responses={200: dict, 400: dict},
        summary="A2A Agent Card",
        tags=["A2A"],
    )
    def get(self, request: Request) -> Response:
        assistant = request.query_params.get("assistant_id")
        try:
            card = services.agent_card(assistant, request.build_absolute_uri(f"{get_script_prefix()}a2a/{assistant}"))
        except RpcError as exc:
            return Response({"error": {"code": exc.code, "message": exc.message}}, status=400)
        return Response(card)
