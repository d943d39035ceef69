"""JSON bodies for Django's own 404/500 pages (unknown paths, crashes) and for outages."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.core.dbpools import check_idle_connections


@csrf_exempt  # also the catch-all route: a POST to an unknown path is a 404, not a CSRF 403
def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not Found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Internal server error"}, status=500)


def service_unavailable(exc: BaseException) -> JsonResponse:
    """PostgreSQL or Redis is down or restarting (apps.core.failures): say so, and let the client retry.

    Also has every database pool drop its broken idle connections (apps.core.dbpools).
    """
    check_idle_connections()
    response = JsonResponse({"detail": f"Service unavailable: {type(exc).__name__}"}, status=503)
    response["Retry-After"] = "1"
    return response
