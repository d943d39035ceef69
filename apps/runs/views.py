import uuid
from typing import Any

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from agentplatform.compat import http_request
from agentplatform.disconnect import on_client_gone, until_client_gone
from agentplatform.handler import database_sync_to_async
from apps.auth.custom_auth import authorize
from apps.core.errors import BadRequest, InvalidInput, NotFound
from apps.core.queries import select_fields
from apps.core.redis import get_redis
from apps.core.views import ApiView
from apps.runs import archive, commands, metrics, protocol, services, sse
from apps.runs.models import Run
from apps.runs.serializers import (
    STREAM_MODES,
    BulkCancelSerializer,
    CancelQuerySerializer,
    RunCreateSerializer,
    RunListSerializer,
    RunSearchSerializer,
    run_to_json,
)
from apps.threads.services import get_thread

# Query and header of the endpoints that join a stream already going (a run's, a thread's).
JOIN_STREAM_PARAMETERS = [
    OpenApiParameter("stream_mode", str, many=True),
    OpenApiParameter("Last-Event-ID", str, "header"),
]


def run_path(run: Run) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


def cancel_if_client_leaves(request: Request, run: Run) -> None:
    """on_disconnect="cancel": if the client hangs up before the run ends, cancel the run."""

    async def cancel() -> None:
        await database_sync_to_async(services.cancel_abandoned_run)(run.thread_id, run.run_id)

    on_client_gone(http_request(request), cancel)


def require_redis() -> None:
    """Streams and waits read Redis: when it is down, answer 503 now, before any status line
    is sent (and before a run is created for a client that could not follow it)."""
    get_redis().ping()


def streamed(
    body: Any, request: Request, content_type: str = "text/event-stream", reconnect: str | None = None
) -> StreamingHttpResponse:
    """A response sent as it is produced (not cached or buffered by proxies), ended when the client leaves.

    An outage once it has started ends it with an error (an SSE `error` event, or a JSON
    body's `__error__`) that says where to reconnect, rather than cutting the connection.
    """
    body = sse.end_on_outage(body, json_body=content_type == "application/json", reconnect=reconnect)
    response = StreamingHttpResponse(until_client_gone(body, http_request(request)), content_type=content_type)
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


def sse_response(events: Any, run: Run, request: Request) -> StreamingHttpResponse:
    response = streamed(events, request, reconnect=f"GET {run_path(run)}/stream with Last-Event-ID")
    response["Location"] = f"{run_path(run)}/stream"
    response["Content-Location"] = run_path(run)
    return response


def wait_response(run: Run, request: Request, with_location: bool = True, fresh: bool = False) -> StreamingHttpResponse:
    body = sse.wait_body(str(run.run_id), fresh)
    response = streamed(body, request, content_type="application/json", reconnect=f"GET {run_path(run)}/join")
    response["Content-Location"] = run_path(run)
    if with_location:
        response["Location"] = f"{run_path(run)}/join"
    return response


class RunCreateView(ApiView):
    """POST /runs: a background run on a temporary thread."""

    auth_resource = "threads"
    auth_actions = {"POST": "create_run"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=RunCreateSerializer, responses={200: dict}, summary="Create Background Run")
    def post(self, request: Request, thread_id: uuid.UUID | None = None) -> Response:
        run = services.create_run(self.parse(RunCreateSerializer), thread_id)
        response = Response(run_to_json(run))
        response["Content-Location"] = run_path(run)
        return response


class ThreadRunsView(RunCreateView):
    """POST /threads/{thread_id}/runs (a background run) and GET (list the thread's runs)."""

    auth_resource = "threads"
    auth_actions = {"POST": "create_run", "GET": "read"}

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
            OpenApiParameter("status", str),
            OpenApiParameter("select", str, many=True),
        ],
        responses={200: list},
        summary="List Runs",
    )
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        query = request.query_params.dict()
        if "select" in request.query_params:
            query["select"] = request.query_params.getlist("select")
        params = self.parse(RunListSerializer, data=query)
        select = params.pop("select", None)
        return Response([select_fields(run_to_json(r), select) for r in services.list_runs(thread_id, **params)])


class RunStreamView(ApiView):
    """POST /threads/{thread_id}/runs/stream and POST /runs/stream."""

    auth_resource = "threads"
    auth_actions = {"POST": "create_run"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(
        request=RunCreateSerializer, responses={(200, "text/event-stream"): str}, summary="Create Run, Stream Output"
    )
    def post(self, request: Request, thread_id: uuid.UUID | None = None) -> StreamingHttpResponse:
        payload = self.parse(RunCreateSerializer)
        require_redis()
        run = services.create_run(payload, thread_id)
        if payload.get("on_disconnect") == "cancel":
            cancel_if_client_leaves(request, run)
        return sse_response(sse.run_events(str(run.run_id)), run, request)


class RunWaitView(ApiView):
    """POST /threads/{thread_id}/runs/wait and POST /runs/wait."""

    auth_resource = "threads"
    auth_actions = {"POST": "create_run"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=RunCreateSerializer, responses={200: dict}, summary="Create Run, Wait for Output")
    def post(self, request: Request, thread_id: uuid.UUID | None = None) -> StreamingHttpResponse:
        payload = self.parse(RunCreateSerializer)
        require_redis()
        run = services.create_run(payload, thread_id)
        if payload.get("on_disconnect") == "cancel":
            cancel_if_client_leaves(request, run)
        # A temporary thread vanishes with its run: nothing to reconnect to.
        return wait_response(run, request, with_location=thread_id is not None, fresh=True)


class RunBatchView(ApiView):
    """POST /runs/batch: several stateless background runs, created all or none."""

    auth_resource = "threads"
    auth_actions = {"POST": "create_run"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=RunCreateSerializer(many=True), responses={200: list}, summary="Create Run Batch")
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, list) or not request.data:
            raise InvalidInput("body: must be a non-empty list of runs")
        if len(request.data) > settings.RUNS_BATCH_MAX:
            raise InvalidInput(f"body: at most {settings.RUNS_BATCH_MAX} runs per batch (RUNS_BATCH_MAX)")
        payloads = [self.parse(RunCreateSerializer, data=item) for item in request.data]
        return Response([run_to_json(run) for run in services.create_runs(payloads)])


class RunDetailView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "DELETE": "delete"}

    @extend_schema(responses={200: dict}, summary="Get Run")
    def get(self, request: Request, thread_id: uuid.UUID, run_id: uuid.UUID) -> Response:
        return Response(run_to_json(services.get_run(thread_id, run_id)))

    @extend_schema(responses={204: None}, summary="Delete Run")
    def delete(self, request: Request, thread_id: uuid.UUID, run_id: uuid.UUID) -> Response:
        services.delete_run(thread_id, run_id)
        return Response(None, status=204)


class RunJoinView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(
        parameters=[OpenApiParameter("cancel_on_disconnect", bool)], responses={200: dict}, summary="Join Run"
    )
    def get(self, request: Request, thread_id: uuid.UUID, run_id: uuid.UUID) -> StreamingHttpResponse:
        run = services.get_run(thread_id, run_id)
        require_redis()
        if self.query_bool("cancel_on_disconnect"):
            cancel_if_client_leaves(request, run)
        return wait_response(run, request, with_location=False)


class RunJoinStreamView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(
        parameters=[*JOIN_STREAM_PARAMETERS, OpenApiParameter("cancel_on_disconnect", bool)],
        responses={(200, "text/event-stream"): str},
        summary="Join Run Stream",
    )
    def get(self, request: Request, thread_id: uuid.UUID, run_id: uuid.UUID) -> StreamingHttpResponse:
        run = services.get_run(thread_id, run_id)
        require_redis()
        # The SDK sends `stream_mode=` (empty) when no mode was asked for.
        modes = [mode for mode in request.query_params.getlist("stream_mode") if mode] or None
        if unknown := sorted(set(modes or ()) - set(STREAM_MODES)):
            raise InvalidInput(f"stream_mode: unknown {unknown}; expected one of {STREAM_MODES}")
        events = sse.run_events(
            str(run.run_id),
            last_event_id=request.headers.get("Last-Event-ID"),
            modes=modes,
            check_db_first=True,
        )
        if self.query_bool("cancel_on_disconnect"):
            cancel_if_client_leaves(request, run)
        return sse_response(events, run, request)


class ThreadStreamView(ApiView):
    """GET /threads/{thread_id}/stream: every run of the thread, live, until the client leaves."""

    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(
        parameters=[*JOIN_STREAM_PARAMETERS, OpenApiParameter("stream_modes", str, many=True)],
        responses={(200, "text/event-stream"): str},
        summary="Join Thread Stream",
    )
    def get(self, request: Request, thread_id: uuid.UUID) -> StreamingHttpResponse:
        get_thread(thread_id)  # 404 before the stream starts
        params = request.query_params
        modes = [m for m in params.getlist("stream_mode") + params.getlist("stream_modes") if m] or ["run_modes"]
        if unknown := set(modes) - sse.THREAD_STREAM_MODES:
            raise InvalidInput(f"stream_mode: unknown {sorted(unknown)}; expected {sorted(sse.THREAD_STREAM_MODES)}")
        events = sse.thread_events(str(thread_id), last_event_id=request.headers.get("Last-Event-ID"), modes=modes)
        return streamed(events, request)


class ThreadCommandsView(ApiView):
    """POST /threads/{thread_id}/commands: one command of the thread-centric streaming protocol."""

    @extend_schema(request=dict, responses={200: dict, 400: dict}, summary="Protocol v2 Command", tags=["Streaming"])
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        try:
            command_id, method, params = commands.parse_envelope(request.data)
        except BadRequest as exc:
            return Response(commands.error_envelope(None, "invalid_argument", exc.detail), status=400)
        return Response(commands.handle_command(thread_id, command_id, method, params))


class ThreadEventsView(ApiView):
    """POST /threads/{thread_id}/stream/events: the protocol's events of every run of the thread, filtered."""

    @extend_schema(
        request=dict,
        responses={(200, "text/event-stream"): str, 400: dict},
        summary="Protocol v2 Event Stream (SSE)",
        tags=["Streaming"],
    )
    def post(self, request: Request, thread_id: uuid.UUID) -> StreamingHttpResponse:
        wanted = protocol.EventFilter.parse(request.data)
        authorize("threads", "read", {"thread_id": str(thread_id)})
        protocol.check_readable(str(thread_id))
        return streamed(protocol.thread_events(str(thread_id), wanted), request)


class RunCancelView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "update"}

    @extend_schema(
        parameters=[OpenApiParameter("wait", bool), OpenApiParameter("action", str, enum=["interrupt", "rollback"])],
        responses={200: dict, 202: None},
        summary="Cancel Run",
    )
    def post(self, request: Request, thread_id: uuid.UUID, run_id: uuid.UUID) -> Response | StreamingHttpResponse:
        query = self.parse(CancelQuerySerializer, data=request.query_params.dict())
        run = services.cancel_run(thread_id, run_id, query["action"])
        if query["wait"]:
            require_redis()
            return wait_response(run, request)
        return Response(None, status=202)


class RunsBulkCancelView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "update"}

    @extend_schema(
        parameters=[OpenApiParameter("action", str, enum=["interrupt", "rollback"])],
        request=BulkCancelSerializer,
        responses={204: None},
        summary="Cancel Runs",
    )
    def post(self, request: Request) -> Response:
        action = self.parse(CancelQuerySerializer, data=request.query_params.dict())["action"]
        if not services.cancel_runs(action=action, **self.parse(BulkCancelSerializer)):
            raise NotFound("No runs matched")
        return Response(None, status=204)


class RunSearchView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "search"}

    @extend_schema(request=RunSearchSerializer, responses={200: list}, summary="Search Runs")
    def post(self, request: Request) -> Response:
        params = self.parse(RunSearchSerializer)
        limit, offset = params.pop("limit", 10), params.pop("offset", 0)
        # The first offset + limit live runs, merged with archived ones (a cron's run history).
        live = [run_to_json(r) for r in services.search_runs(**params, limit=offset + limit, offset=0)]
        return Response(archive.merge(live, params, limit=limit, offset=offset))


class MetricsView(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["prometheus", "json"])],
        responses={(200, "text/plain"): str, (200, "application/json"): dict},
        summary="System Metrics",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        output = request.query_params.get("format", "prometheus")
        if output not in ("prometheus", "json"):
            raise InvalidInput("format: must be prometheus or json")
        snapshot = metrics.collect()
        if output == "json":
            return Response(snapshot)
        return HttpResponse(metrics.to_prometheus(snapshot), content_type="text/plain; version=0.0.4")
