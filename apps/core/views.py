"""Base view and the service endpoints /ok and /info."""

import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.auth.custom_auth import authorize, current_user
from apps.core.errors import InvalidInput
from apps.core.headers import request_headers
from apps.core.info import server_info
from apps.core.parsers import INT64_MAX, check_text
from apps.core.queries import select_fields


def parse_uuid(value: Any, name: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a valid UUID") from None


class ApiView(APIView):
    """Thin view base: parse a body with a serializer, call a service, serialize.

    Path ids (`*_id`) are parsed as UUIDs here, so a malformed one is a 422
    with a message rather than the URL resolver's HTML 404.
    """

    # Custom auth (langgraph.json "auth"): the resource this view serves and the
    # action of each HTTP method, as upstream's Auth handlers know them.
    auth_resource: str | None = None
    auth_actions: dict[str, str] = {}
    # The methods whose body carries the metadata of what they create or change
    # (a thread, a run, a cron, an assistant): only there does the `metadata` a
    # handler adds (e.g. an owner) reach the body. Elsewhere (a state update, a
    # cancel, a history filter) the handler's changes to it are dropped.
    auth_metadata_methods: frozenset[str] = frozenset()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._headers_token = request_headers.set(request.headers)  # for http.configurable_headers
        # self.kwargs is the very dict dispatch() passes on to the handler.
        for name, value in self.kwargs.items():
            if name.endswith("_id"):
                self.kwargs[name] = parse_uuid(value, name)
        for name, value in request.query_params.items():
            check_text(value, name)
        self._authorize(request)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if (token := getattr(self, "_headers_token", None)) is not None:
            request_headers.reset(token)
            self._headers_token = None
        return super().finalize_response(request, response, *args, **kwargs)

    def _authorize(self, request: Request) -> None:
        action = self.auth_actions.get(request.method)
        if self.auth_resource is None or action is None or current_user.get() is None:
            return
        if self.auth_resource != "threads" and "thread_id" in self.kwargs:
            # Acting on a thread's behalf (e.g. a cron on it) needs access to the thread as well.
            authorize("threads", "read", {"thread_id": str(self.kwargs["thread_id"])})
        ids = {name: str(id_value) for name, id_value in self.kwargs.items()}
        body = request.data if request.method in ("POST", "PATCH", "PUT") else None
        # A batch (POST /runs/batch) is authorized item by item: each run gets its own stamp.
        for item in body if isinstance(body, list) and body else [body]:
            self._authorize_one(request.method, action, item if isinstance(item, dict) else None, ids)

    def _authorize_one(self, method: str, action: str, body: dict | None, ids: dict[str, str]) -> None:
        if body is None:
            authorize(self.auth_resource, action, ids)
            return
        # The handler gets the body (it may add to what is created), with a metadata of its own.
        value = dict(body)
        if isinstance(value.get("metadata"), dict):
            value["metadata"] = dict(value["metadata"])
        authorize(self.auth_resource, action, value)
        if method in self.auth_metadata_methods and isinstance(value.get("metadata"), dict):
            body["metadata"] = value["metadata"]

    def parse(self, serializer_class: type, data: Any = None) -> dict[str, Any]:
        payload = self.request.data if data is None else data
        if payload is None:
            raise InvalidInput("body: must be a JSON object, not null")
        if payload == {}:  # no body parses as an empty QueryDict, which DRF would read as a form
            payload = {}
        serializer = serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def search_page(self, search: Callable[..., list], params: dict[str, Any], to_json: Callable) -> Response:
        """A search's page with upstream's pagination headers: one more row is read to tell
        whether a next page exists; x-pagination-total is upstream's figure (offset + rows
        + 1 when more follow), x-pagination-next the next page's offset."""
        limit, offset = params.get("limit", 10), params.get("offset", 0)
        rows = search(**{**params, "limit": limit + 1})
        page = rows[:limit]
        response = Response([select_fields(to_json(row), params.get("select")) for row in page])
        more = len(rows) > limit
        response["X-Pagination-Total"] = str(offset + len(page) + (1 if more else 0))
        if more:
            response["X-Pagination-Next"] = str(offset + limit)
        return response

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.request.query_params.get(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise InvalidInput(f"{name}: must be true or false")

    def query_int(self, name: str, default: int, minimum: int = 0, maximum: int = INT64_MAX) -> int:
        raw = self.request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"{name}: must be an integer") from None
        if value < minimum:
            raise InvalidInput(f"{name}: must be >= {minimum}")
        if value > maximum:
            raise InvalidInput(f"{name}: must be <= {maximum}")
        return value


class OkView(APIView):
    @extend_schema(
        summary="Health check", parameters=[OpenApiParameter("check_db", int, enum=[0, 1])], responses={200: dict}
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("check_db") == "1":  # as upstream: also prove PostgreSQL answers
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        return Response({"ok": True})


class InfoView(APIView):
    @extend_schema(summary="Server information", responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(server_info())
