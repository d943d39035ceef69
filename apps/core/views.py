"""Base view and the service endpoints /ok and /info."""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import InvalidInput


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

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # self.kwargs is the very dict dispatch() passes on to the handler.
        for name, value in self.kwargs.items():
            if name.endswith("_id"):
                self.kwargs[name] = parse_uuid(value, name)

    def parse(self, serializer_class: type, data: Any = None) -> dict[str, Any]:
        payload = self.request.data if data is None else data
        if payload is None or payload == {} and not self.request.body:
            payload = {}
        serializer = serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.request.query_params.get(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise InvalidInput(f"{name}: must be true or false")

    def query_int(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"{name}: must be an integer") from None
        if value < minimum:
            raise InvalidInput(f"{name}: must be >= {minimum}")
        return value


class OkView(APIView):
    @extend_schema(summary="Health check", responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class InfoView(APIView):
    @extend_schema(summary="Server information", responses={200: dict})
    def get(self, request: Request) -> Response:
        from apps.core.services import server_info

        return Response(server_info())
