import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.assistants import services
from apps.assistants.serializers import (
    AssistantCountSerializer,
    AssistantCreateSerializer,
    AssistantPatchSerializer,
    AssistantSearchSerializer,
    AssistantVersionsSerializer,
    SetLatestSerializer,
    assistant_to_json,
    version_to_json,
)
from apps.core.views import ApiView


class GraphIdReadable(ApiView):
    """Reads that also take a graph id (`GET /assistants/agent`) for that graph's default assistant.

    Upstream resolves a graph id on `/graph` only (0.16.7 answers 422 on the others);
    resolving it on every read is a superset that clients relying on it need.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "GET" and "assistant_id" in self.kwargs:
            self.kwargs["assistant_id"] = services.resolve_assistant_id(self.kwargs["assistant_id"])
        super().initial(request, *args, **kwargs)


class AssistantCreateView(ApiView):
    auth_resource = "assistants"
    auth_actions = {"POST": "create"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=AssistantCreateSerializer, responses={200: dict}, summary="Create Assistant")
    def post(self, request: Request) -> Response:
        assistant = services.create_assistant(**self.parse(AssistantCreateSerializer))
        return Response(assistant_to_json(assistant))


class AssistantSearchView(ApiView):
    auth_resource = "assistants"
    auth_actions = {"POST": "search"}

    @extend_schema(request=AssistantSearchSerializer, responses={200: list}, summary="Search Assistants")
    def post(self, request: Request) -> Response:
        return self.search_page(services.search_assistants, self.parse(AssistantSearchSerializer), assistant_to_json)


class AssistantCountView(ApiView):
    auth_resource = "assistants"
    auth_actions = {"POST": "search"}

    @extend_schema(request=AssistantCountSerializer, responses={200: int}, summary="Count Assistants")
    def post(self, request: Request) -> Response:
        return Response(services.count_assistants(**self.parse(AssistantCountSerializer)))


class AssistantDetailView(GraphIdReadable):
    auth_resource = "assistants"
    auth_actions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}
    auth_metadata_methods = frozenset({"PATCH"})

    @extend_schema(responses={200: dict}, summary="Get Assistant")
    def get(self, request: Request, assistant_id: uuid.UUID) -> Response:
        return Response(assistant_to_json(services.get_assistant(assistant_id)))

    @extend_schema(request=AssistantPatchSerializer, responses={200: dict}, summary="Patch Assistant")
    def patch(self, request: Request, assistant_id: uuid.UUID) -> Response:
        assistant = services.patch_assistant(assistant_id, self.parse(AssistantPatchSerializer))
        return Response(assistant_to_json(assistant))

    @extend_schema(
        parameters=[OpenApiParameter("delete_threads", bool)], responses={204: None}, summary="Delete Assistant"
    )
    def delete(self, request: Request, assistant_id: uuid.UUID) -> Response:
        services.delete_assistant(assistant_id, delete_threads=self.query_bool("delete_threads"))
        return Response(None, status=204)


class AssistantGraphView(GraphIdReadable):
    auth_resource = "assistants"
    auth_actions = {"GET": "read"}

    @extend_schema(parameters=[OpenApiParameter("xray", str)], responses={200: dict}, summary="Get Assistant Graph")
    def get(self, request: Request, assistant_id: uuid.UUID) -> Response:
        assistant = services.get_assistant(assistant_id)
        raw_xray = request.query_params.get("xray", "false").lower()
        xray: bool | int = raw_xray == "true" or (int(raw_xray) if raw_xray.isdigit() else False)
        return Response(services.graph_for(assistant, xray=xray))


class AssistantSchemasView(GraphIdReadable):
    auth_resource = "assistants"
    auth_actions = {"GET": "read"}

    @extend_schema(responses={200: dict}, summary="Get Assistant Schemas")
    def get(self, request: Request, assistant_id: uuid.UUID) -> Response:
        return Response(services.schemas_for(services.get_assistant(assistant_id)))


class AssistantSubgraphsView(GraphIdReadable):
    auth_resource = "assistants"
    auth_actions = {"GET": "read"}

    @extend_schema(
        parameters=[OpenApiParameter("recurse", bool)], responses={200: dict}, summary="Get Assistant Subgraphs"
    )
    def get(self, request: Request, assistant_id: uuid.UUID, namespace: str | None = None) -> Response:
        assistant = services.get_assistant(assistant_id)
        return Response(services.subgraphs_for(assistant, namespace, recurse=self.query_bool("recurse")))


class AssistantVersionsView(ApiView):
    auth_resource = "assistants"
    auth_actions = {"POST": "read"}

    @extend_schema(request=AssistantVersionsSerializer, responses={200: list}, summary="Get Assistant Versions")
    def post(self, request: Request, assistant_id: uuid.UUID) -> Response:
        versions = services.list_versions(assistant_id, **self.parse(AssistantVersionsSerializer))
        return Response([version_to_json(v) for v in versions])


class AssistantLatestView(ApiView):
    auth_resource = "assistants"
    auth_actions = {"POST": "update"}

    @extend_schema(
        parameters=[OpenApiParameter("version", int)],
        request=SetLatestSerializer,
        responses={200: dict},
        summary="Set Latest Assistant Version",
    )
    def post(self, request: Request, assistant_id: uuid.UUID) -> Response:
        # The reference puts `version` in the query; the SDKs send it in the body: take either.
        body = self.request.data if isinstance(self.request.data, dict) and self.request.data else None
        version = self.parse(SetLatestSerializer, data=body or request.query_params.dict())["version"]
        return Response(assistant_to_json(services.set_latest_version(assistant_id, version)))
