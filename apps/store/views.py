"""The store endpoints, as upstream: /store/items (PUT, GET, DELETE), /store/items/search, /store/namespaces."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from langgraph.store.base import NOT_PROVIDED
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.views import ApiView
from apps.store import services
from apps.store.parsing import namespace_from_param
from apps.store.serializers import (
    DeleteItemSerializer,
    ListNamespacesSerializer,
    PutItemSerializer,
    SearchItemsSerializer,
)

# Store handlers get the parsed operation (services call `authorize`), not the raw body.


class StoreItemsView(ApiView):
    @extend_schema(request=PutItemSerializer, responses={204: None}, summary="Put Item")
    def put(self, request: Request) -> Response:
        body = self.parse(PutItemSerializer)
        services.put_item(
            body["namespace"], body["key"], body["value"], index=body.get("index"), ttl=body.get("ttl", NOT_PROVIDED)
        )
        return Response(None, status=204)

    @extend_schema(
        parameters=[
            OpenApiParameter("key", str, required=True),
            OpenApiParameter("namespace", str, description="labels joined by '.', e.g. users.alice"),
            OpenApiParameter("refresh_ttl", bool),
        ],
        responses={200: dict},
        summary="Get Item",
    )
    def get(self, request: Request) -> HttpResponse:
        refresh_ttl = self.query_bool("refresh_ttl") if "refresh_ttl" in request.query_params else None
        item = services.get_item(
            namespace_from_param(request.query_params.get("namespace")),
            request.query_params.get("key"),
            refresh_ttl=refresh_ttl,
        )
        if item is None:  # upstream answers a JSON null, which the SDK returns as None
            return HttpResponse(b"null", content_type="application/json")
        return Response(item)

    @extend_schema(request=DeleteItemSerializer, responses={204: None}, summary="Delete Item")
    def delete(self, request: Request) -> Response:
        body = self.parse(DeleteItemSerializer)
        services.delete_item(body["namespace"], body["key"])
        return Response(None, status=204)


class StoreSearchView(ApiView):
    @extend_schema(request=SearchItemsSerializer, responses={200: dict}, summary="Search Items")
    def post(self, request: Request) -> Response:
        return Response({"items": services.search_items(**self.parse(SearchItemsSerializer))})


class StoreNamespacesView(ApiView):
    @extend_schema(request=ListNamespacesSerializer, responses={200: dict}, summary="List Namespaces")
    def post(self, request: Request) -> Response:
        return Response({"namespaces": services.list_namespaces(**self.parse(ListNamespacesSerializer))})
