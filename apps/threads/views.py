import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import InvalidInput
from apps.core.views import ApiView
from apps.threads import retention, services
from apps.threads.models import Thread
from apps.threads.serializers import (
    ThreadCopySerializer,
    ThreadCountSerializer,
    ThreadCreateSerializer,
    ThreadHistorySerializer,
    ThreadPatchSerializer,
    ThreadPruneSerializer,
    ThreadSearchSerializer,
    ThreadStateCheckpointSerializer,
    ThreadStateUpdateSerializer,
    thread_to_json,
    ttl_json,
)

INCLUDABLE = ("ttl",)


class ThreadCreateView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "create"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=ThreadCreateSerializer, responses={200: dict}, summary="Create Thread")
    def post(self, request: Request) -> Response:
        return Response(thread_to_json(services.create_thread(**self.parse(ThreadCreateSerializer))))


class ThreadSearchView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "search"}

    @extend_schema(request=ThreadSearchSerializer, responses={200: list}, summary="Search Threads")
    def post(self, request: Request) -> Response:
        params = self.parse(ThreadSearchSerializer)
        extract = params.pop("extract", None)

        def to_json(thread: Thread) -> dict:
            body = thread_to_json(thread)
            if extract:
                body["extracted"] = {alias: services.extract_path(body, path) for alias, path in extract.items()}
            return body

        return self.search_page(services.search_threads, params, to_json)


class ThreadCountView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "search"}

    @extend_schema(request=ThreadCountSerializer, responses={200: int}, summary="Count Threads")
    def post(self, request: Request) -> Response:
        return Response(services.count_threads(**self.parse(ThreadCountSerializer)))


class ThreadDetailView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}
    auth_metadata_methods = frozenset({"PATCH"})

    @extend_schema(
        parameters=[OpenApiParameter("include", str, description="comma-separated: ttl")],
        responses={200: dict},
        summary="Get Thread",
    )
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        include = self._include()
        thread = services.get_thread(thread_id)
        body = thread_to_json(thread)
        if "ttl" in include and (ttl := ttl_json(thread)) is not None:
            body["ttl"] = ttl
        return Response(body)

    def _include(self) -> set[str]:
        include = {part.strip() for part in self.request.query_params.get("include", "").split(",") if part.strip()}
        if unknown := sorted(include - set(INCLUDABLE)):
            raise InvalidInput(f"include: unsupported value(s) {unknown}; supported: {list(INCLUDABLE)}")
        return include

    @extend_schema(request=ThreadPatchSerializer, responses={200: dict}, summary="Patch Thread")
    def patch(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(thread_to_json(services.patch_thread(thread_id, **self.parse(ThreadPatchSerializer))))

    @extend_schema(responses={204: None}, summary="Delete Thread")
    def delete(self, request: Request, thread_id: uuid.UUID) -> Response:
        services.delete_thread(thread_id)
        return Response(None, status=204)


class ThreadPruneView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "delete"}

    @extend_schema(request=ThreadPruneSerializer, responses={200: dict}, summary="Prune Threads")
    def post(self, request: Request) -> Response:
        return Response({"pruned_count": retention.prune_threads(**self.parse(ThreadPruneSerializer))})


class ThreadStateView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "POST": "update"}

    @extend_schema(parameters=[OpenApiParameter("subgraphs", bool)], responses={200: dict}, summary="Get Thread State")
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_state(thread_id, subgraphs=self.query_bool("subgraphs")))

    @extend_schema(request=ThreadStateUpdateSerializer, responses={200: dict}, summary="Update Thread State")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.update_thread_state(thread_id, **self.parse(ThreadStateUpdateSerializer)))


class ThreadStateAtCheckpointView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(
        parameters=[OpenApiParameter("subgraphs", bool)],
        responses={200: dict},
        summary="Get Thread State At Checkpoint",
    )
    def get(self, request: Request, thread_id: uuid.UUID, checkpoint_id: uuid.UUID) -> Response:
        checkpoint = {"checkpoint_id": str(checkpoint_id)}
        return Response(
            services.get_thread_state(thread_id, subgraphs=self.query_bool("subgraphs"), checkpoint=checkpoint)
        )


class ThreadStateCheckpointView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "read"}

    @extend_schema(request=ThreadStateCheckpointSerializer, responses={200: dict}, summary="Post Thread State")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_state(thread_id, **self.parse(ThreadStateCheckpointSerializer)))


class ThreadStorageView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(responses={200: dict}, summary="Get Thread Storage")
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_storage(thread_id))


class ThreadCopyView(ApiView):
    # Whoever may read a thread may copy it; the copy keeps its metadata (owner included).
    auth_resource = "threads"
    auth_actions = {"POST": "read"}

    @extend_schema(request=None, responses={200: dict}, summary="Copy Thread")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        self.parse(ThreadCopySerializer)
        return Response(thread_to_json(services.copy_thread(thread_id)))


class ThreadHistoryView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "POST": "read"}

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("before", str)],
        responses={200: list},
        summary="Get Thread History",
    )
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        query = {"before": request.query_params["before"]} if "before" in request.query_params else {}
        params = self.parse(ThreadHistorySerializer, data=query)
        params["limit"] = self.query_int("limit", 10, minimum=1)  # upstream's GET sets no maximum but int64's
        return Response(services.get_thread_history(thread_id, **params))

    @extend_schema(request=ThreadHistorySerializer, responses={200: list}, summary="Get Thread History Post")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_history(thread_id, **self.parse(ThreadHistorySerializer)))
