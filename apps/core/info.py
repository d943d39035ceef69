"""What GET /info (and the MCP handshake) say about this server."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

SERVER_VERSION = "0.1.0"


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def server_info() -> dict[str, Any]:
    return {
        "version": SERVER_VERSION,
        "langgraph_py_version": _package_version("langgraph"),
        "flags": {"assistants": True, "crons": True, "langsmith": False, "langsmith_tracing_replicas": False},
        "host": {"kind": "self-hosted", "project_id": None, "revision_id": None, "tenant_id": None},
        "metadata": {"server": "agentplatform (Django + Celery)"},
    }
