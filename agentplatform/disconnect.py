"""Noticing that an HTTP client hung up while its response was streaming.

Django's ASGI handler learns of a disconnect in its `listen_for_disconnect`
task and then cancels the task sending the response. That cancellation is
not enough on its own: measured here, it sometimes never reached our SSE
generator (it was absorbed below it while a blocking Redis read was pending),
so the generator kept streaming to nobody and its clean-up never ran. So the
handler also marks the request as abandoned and runs the callbacks views
registered (e.g. on_disconnect="cancel"), and every stream stops at its next
frame (heartbeats come at least every SSE_HEARTBEAT_S) once its client is gone.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar

from django.http import HttpRequest

# Set by the ASGI handler for the duration of each request (and copied into its tasks).
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)

GoneCallback = Callable[[], Awaitable[None]]


def on_client_gone(request: HttpRequest, callback: GoneCallback) -> None:
    """Run `callback` (a coroutine function) if the client disconnects before the response ends."""
    request.__dict__.setdefault("client_gone_callbacks", []).append(callback)


def client_gone(request: HttpRequest) -> bool:
    return request.__dict__.get("client_gone", False)


async def mark_client_gone(request: HttpRequest) -> None:
    """Called by the handler on disconnect: flag the request, run its callbacks once."""
    request.__dict__["client_gone"] = True
    callbacks = request.__dict__.pop("client_gone_callbacks", [])
    for callback in callbacks:
        await callback()


async def until_client_gone(frames: AsyncIterator[bytes], request: HttpRequest) -> AsyncIterator[bytes]:
    """Pass frames on; stop (closing `frames`) as soon as the client is known to be gone."""
    try:
        async for frame in frames:
            if client_gone(request):
                return
            yield frame
        request.__dict__.pop("client_gone_callbacks", None)  # the response ended whole: nobody left early
    finally:
        await frames.aclose()
