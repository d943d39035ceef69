from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"

    def ready(self) -> None:
        from celery.signals import worker_init, worker_shutdown, worker_shutting_down

        from apps.runs.hooks import run_finished

        run_finished.connect(_queue_webhook, dispatch_uid="runs.webhook_outbox")
        worker_init.connect(_load_run_services, weak=False)
        worker_shutting_down.connect(_on_worker_shutting_down, weak=False)
        worker_shutdown.connect(_on_worker_shutdown, weak=False)


def _queue_webhook(sender: object, **kwargs: object) -> None:
    # Imported when a run ends: the outbox reads thread state (LangGraph), which beat never needs.
    from apps.runs.webhook_outbox import on_run_finished

    on_run_finished(sender, **kwargs)


def _load_run_services(**_: object) -> None:
    # The tasks import the worker lazily (beat needs only the task names); a worker loads it,
    # LangGraph included, before it takes its first run and freezes its start-up objects.
    import apps.runs.worker  # noqa: F401


def _on_worker_shutting_down(**_: object) -> None:
    """SIGTERM, in the signal handler: stop claiming at once."""
    from apps.runs.worker import worker

    worker.stop_admitting()


def _on_worker_shutdown(**_: object) -> None:
    """After Celery stopped consuming, before the process exits: finish or requeue the runs in flight."""
    from django.conf import settings

    from apps.runs.worker import worker

    worker.drain(settings.WORKER_SHUTDOWN_GRACE_S)
