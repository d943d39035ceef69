from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.jsonutil import dumps
from apps.core.views import ApiView
from apps.mcp import services
from apps.runs import sse
from apps.runs.views import streamed


class McpView(ApiView):
    """POST /mcp: MCP's streamable HTTP transport, stateless (no sessions, no server-sent stream)."""

    @extend_schema(request=dict, responses={200: dict, 202: None}, summary="MCP Post")
    def post(self, request: Request) -> Response:
        if isinstance(request.data, list):
            return Response(services.handle(None), status=400)
        answer = services.handle(request.data)
        if answer is None:
            return Response(None, status=202)
        if isinstance(answer, services.PendingCall):
            # The run executes on the workers; the answer waits in the event loop, not in a request thread.
            body = sse.wait_body(
                str(answer.run.run_id), fresh=True, render=lambda end: dumps(services.tool_result(answer, end))
            )
            return streamed(body, request, content_type="application/json")
        return Response(answer)

    @extend_schema(responses={405: None}, summary="MCP Get")
    def get(self, request: Request) -> Response:
        return Response({"detail": "GET is not allowed: this MCP server does not stream"}, status=405)

    @extend_schema(responses={404: None}, summary="Terminate Session")
    def delete(self, request: Request) -> Response:
        return Response({"detail": "Session not found: this MCP server is stateless"}, status=404)
