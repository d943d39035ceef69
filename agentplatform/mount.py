"""langgraph.json's `http.mount_prefix`: the whole server under a path prefix, as upstream serves it.

A request under the prefix reaches the application with the prefix added to the ASGI
`root_path` (Django then routes on the rest and links the admin and static files under
the prefix; a custom app's Starlette router does the same); `/ok` still answers at the
root, for load balancers' health checks; anything else is 404. Response headers that
name a run (`Content-Location`) stay relative to the prefix, as upstream's do.
"""

from typing import Any

import orjson

NOT_FOUND = orjson.dumps({"detail": "Not Found"})


def route_path(scope: dict) -> str:
    """The request's path below its root_path: what the application routes on."""
    root, path = scope.get("root_path", ""), scope["path"]
    return path[len(root) :] or "/" if root and path.startswith(root) else path


class PrefixMount:
    def __init__(self, app: Any, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            return await self.app(scope, receive, send)
        path = route_path(scope)
        if path == self.prefix or path.startswith(self.prefix + "/"):
            root = scope.get("root_path", "") + self.prefix
            full = scope["path"] if path != self.prefix else scope["path"] + "/"
            return await self.app({**scope, "root_path": root, "path": full}, receive, send)
        if path == "/ok":
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":  # no socket outside the prefix: refuse the handshake
            await send({"type": "websocket.close", "code": 1000})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(NOT_FOUND)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": NOT_FOUND})
