"""Domain errors and the one DRF exception handler that maps them to HTTP.

Every error body has upstream's shape: `{"detail": "<clear message>"}`.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponseBase
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from apps.core.failures import is_transient
from apps.core.handlers import service_unavailable


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    """The request is well-formed but the graph refuses it (upstream answers 400)."""


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


class InvalidInput(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def format_validation_errors(errors: Any, prefix: str = "") -> str:
    """Flatten DRF's nested error dict into one readable line naming each field."""
    if isinstance(errors, dict):
        parts = [
            format_validation_errors(value, f"{prefix}{key}." if key != "non_field_errors" else prefix)
            for key, value in errors.items()
        ]
        return "; ".join(parts)
    if isinstance(errors, list):
        return "; ".join(format_validation_errors(item, prefix) for item in errors)
    field = prefix.rstrip(".")
    return f"{field}: {errors}" if field else str(errors)


def error_response(status_code: int, detail: str) -> Response:
    return Response({"detail": detail}, status=status_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponseBase | None:
    if is_transient(exc):
        return service_unavailable(exc)
    if isinstance(exc, RequestDataTooBig):
        return error_response(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "Request body too large")
    if isinstance(exc, DomainError):
        return error_response(exc.status_code, exc.detail)
    if isinstance(exc, Http404):
        return error_response(status.HTTP_404_NOT_FOUND, str(exc) or "Not found")
    if isinstance(exc, drf_exceptions.ValidationError):
        return error_response(status.HTTP_422_UNPROCESSABLE_ENTITY, format_validation_errors(exc.detail))
    if isinstance(exc, drf_exceptions.ParseError):
        return error_response(status.HTTP_422_UNPROCESSABLE_ENTITY, f"Invalid JSON body: {exc.detail}")
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return error_response(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc.detail))
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return error_response(exc.status_code, "Method Not Allowed")  # upstream's wording
    if isinstance(exc, drf_exceptions.APIException):
        return error_response(exc.status_code, str(exc.detail))
    return None
