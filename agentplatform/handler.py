"""An ASGI handler that runs the middleware chain and the view in one thread hop.

Django's stock ASGIHandler (bench/HISTORY.md) adapts every sync middleware method
separately — about a dozen thread hops (~0.3 ms each) per request — and wraps
each request in a ThreadSensitiveContext, which starts fresh threads per
request. Our views are sync (DRF) and our streaming responses are async
iterators that Django consumes in the event loop anyway, so:

1. the whole chain runs as sync code in one hop, on a fixed pool of request
   threads (REQUEST_THREADS, reused: no thread start per request);
2. the request_started signal, and for a response already in memory its close()
   (request_finished), run in that same hop too: Django runs each in a hop of its
   own, on one shared thread that every concurrent request queues for;
3. the request's database connection goes back to the pool at the end of that
   hop, in the thread that took it;
4. a client's disconnect is also reported to the request itself (see
   agentplatform/disconnect.py for why Django's own cancellation is not enough);
5. the API key and the declared Content-Length are checked on the headers, before
   any of the body is read, and a body (chunked or lying about its length) is read
   no further than MAX_REQUEST_BODY_BYTES: an unauthenticated or oversized upload
   never reaches memory or disk;
6. an uncaught exception is logged with its traceback and answered with JSON,
   whatever DEBUG says (settings propagate it here instead of rendering Django's
   debug page, which shows settings and environment values).
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix, set_urlconf

from agentplatform.disconnect import current_request, mark_client_gone
from agentplatform.mount import route_path
from apps.core.failures import is_transient
from apps.core.handlers import server_error, service_unavailable
from apps.core.middleware import api_key_refusal, body_too_large, declared_size_refusal

T = TypeVar("T")
logger = logging.getLogger("django.request")


class BodyTooLarge(Exception):
    """The body went past MAX_REQUEST_BODY_BYTES while being read."""


def refusal_before_body(scope: dict) -> HttpResponseBase | None:
    """401 or 413 decided from the request line and headers alone, or None."""
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", ())}
    # A browser's CORS preflight carries no key (nor a body): the middleware chain decides on it,
    # in its order (a CORS middleware answers before ApiKeyMiddleware); its body is still capped.
    if scope["method"] != "OPTIONS":
        refusal = api_key_refusal(route_path(scope), headers.get("x-api-key"))
        if refusal is not None:
            return refusal
    return declared_size_refusal(headers.get("content-length"))


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.executor = ThreadPoolExecutor(max_workers=settings.REQUEST_THREADS, thread_name_prefix="request")

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict, receive: object, send: object) -> None:
        """Django's ASGIHandler.handle, minus its separate hops for request_started and close()."""
        refusal = refusal_before_body(scope)
        if refusal is not None:
            await self.send_response(refusal, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        except BodyTooLarge:
            await self.send_response(body_too_large(), send)
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await self._close(error_response)
            return
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        responding = asyncio.create_task(self._respond_and_send(request, send))
        await asyncio.wait([listening, responding], return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, responding):  # as Django: the listener first, then the response
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task
        if responding.cancelled():
            await signals.request_finished.asend(sender=self.__class__)
        else:  # (had it raised, awaiting it above raised too)
            await self._close(responding.result())
        body_file.close()

    async def read_body(self, receive: Callable[[], Awaitable[dict]]) -> Any:
        """Django's read_body, stopped with BodyTooLarge once past the limit (a chunked body declares none)."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        received = 0

        async def receive_within_limit() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        return await super().read_body(receive_within_limit)

    async def _respond_and_send(self, request: HttpRequest, send: object) -> HttpResponseBase:
        response = await self.run_get_response(request)
        with contextlib.suppress(asyncio.CancelledError):  # the client went away while we sent
            await self.send_response(response, send)
        return response

    async def _close(self, response: HttpResponseBase) -> None:
        """close() fires request_finished; a response built in memory was closed in its hop."""
        if not response.closed:
            await sync_to_async(response.close, thread_sensitive=False, executor=self.executor)()

    def create_request(self, scope: dict, body_file: object) -> tuple:
        request, error_response = super().create_request(scope, body_file)
        # The listen_for_disconnect task, created after this, inherits the variable.
        current_request.set(request)
        return request, error_response

    async def listen_for_disconnect(self, receive: object) -> None:
        try:
            await super().listen_for_disconnect(receive)
        except RequestAborted:
            request = current_request.get()
            if request is not None:
                await mark_client_gone(request)
            raise

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        respond = sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)
        return await respond(request)

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        set_urlconf(settings.ROOT_URLCONF)
        signals.request_started.send(sender=self.__class__, scope=request.scope)
        try:
            try:
                response = self.get_response(request)
            except Exception as exc:  # DEBUG_PROPAGATE_EXCEPTIONS brings every uncaught one here
                if is_transient(exc):  # e.g. in a middleware: an outage, not a bug
                    logger.warning("Service unavailable: %s: %s: %s", request.path, type(exc).__name__, exc)
                    response = service_unavailable(exc)
                else:
                    logger.exception("Internal Server Error: %s", request.path)
                    response = server_error(request)
            if not response.streaming:
                response.close()  # its content is in memory already; closing fires request_finished
            return response
        finally:
            close_old_connections()


def database_sync_to_async(func: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """sync_to_async for ORM work done outside a request's hop (streams, disconnect callbacks).

    The connection goes back to the pool afterwards, as at the end of a request:
    otherwise each executor thread would keep one checked out for good (and keep
    it even once broken, since only request signals discard broken connections).
    """

    @functools.wraps(func)
    def call_and_release(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call_and_release, thread_sensitive=False)
