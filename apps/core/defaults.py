"""The few settings `manage.py dev`'s supervisor reads without setting Django up
(apps/devserver/supervisor.py); settings.py takes them from here too, so both agree."""

from pathlib import Path

from apps.core.env import env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def langgraph_config() -> str:
    return env_str("LANGGRAPH_CONFIG", str(BASE_DIR / "langgraph.json"))


def n_jobs_per_worker() -> int:
    return env_int("N_JOBS_PER_WORKER", 10, minimum=1)


def runs_queue() -> str:
    return env_str("RUNS_QUEUE", "runs")


def redis_url() -> str:
    return env_str("REDIS_URL", "redis://127.0.0.1:6379/0")


def broker_url() -> str:
    return env_str("CELERY_BROKER_URL", redis_url())
