import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.queries import select_fields
from apps.core.views import ApiView
from apps.threads import services
from apps.threads.serializers import (
    ThreadCountSerializer,
    ThreadCreateSerializer,
    ThreadHistorySerializer,
    ThreadPatchSerializer,
    ThreadSearchSerializer,
    ThreadStateCheckpointSerializer,
    ThreadStateUpdateSerializer,
    thread_to_json,
)


class ThreadCreateView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "create"}

    @extend_schema(request=ThreadCreateSerializer, responses={200: dict}, summary="Create Thread")
    def post(self, request: Request) -> Response:
        return Response(thread_to_json(services.create_thread(**self.parse(ThreadCreateSerializer))))


class ThreadSearchView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "search"}

    @extend_schema(request=ThreadSearchSerializer, responses={200: list}, summary="Search Threads")
    def post(self, request: Request) -> Response:
        params = self.parse(ThreadSearchSerializer)
        found = services.search_threads(**params)
        return Response([select_fields(thread_to_json(t), params.get("select")) for t in found])


class ThreadCountView(ApiView):
    auth_resource = "threads"
    auth_actions = {"POST": "search"}

    @extend_schema(request=ThreadCountSerializer, responses={200: int}, summary="Count Threads")
    def post(self, request: Request) -> Response:
        return Response(services.count_threads(**self.parse(ThreadCountSerializer)))


class ThreadDetailView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}

    @extend_schema(responses={200: dict}, summary="Get Thread")
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(thread_to_json(services.get_thread(thread_id)))

    @extend_schema(request=ThreadPatchSerializer, responses={200: dict}, summary="Patch Thread")
    def patch(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(thread_to_json(services.patch_thread(thread_id, **self.parse(ThreadPatchSerializer))))

    @extend_schema(responses={204: None}, summary="Delete Thread")
    def delete(self, request: Request, thread_id: uuid.UUID) -> Response:
        services.delete_thread(thread_id)
        return Response(None, status=204)


class ThreadStateView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "POST": "update"}

    @extend_schema(responses={200: dict}, summary="Get Thread State")
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_state(thread_id, subgraphs=self.query_bool("subgraphs")))

    @extend_schema(request=ThreadStateUpdateSerializer, responses={200: dict}, summary="Update Thread State")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.update_thread_state(thread_id, **self.parse(ThreadStateUpdateSerializer)))


class ThreadStateAtCheckpointView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read"}

    @extend_schema(responses={200: dict}, summary="Get Thread State At Checkpoint")
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


class ThreadCopyView(ApiView):
    # Whoever may read a thread may copy it; the copy keeps its metadata (owner included).
    auth_resource = "threads"
    auth_actions = {"POST": "read"}

    @extend_schema(request=None, responses={200: dict}, summary="Copy Thread")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(thread_to_json(services.copy_thread(thread_id)))


class ThreadHistoryView(ApiView):
    auth_resource = "threads"
    auth_actions = {"GET": "read", "POST": "read"}

    @extend_schema(responses={200: list}, summary="Get Thread History")
    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        limit = self.query_int("limit", 10, minimum=1)
        before = request.query_params.get("before")
        return Response(services.get_thread_history(thread_id, limit=limit, before=before))

    @extend_schema(request=ThreadHistorySerializer, responses={200: list}, summary="Get Thread History Post")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(services.get_thread_history(thread_id, **self.parse(ThreadHistorySerializer)))
