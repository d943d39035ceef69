from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"

    def ready(self) -> None:
        from celery.signals import worker_shutdown, worker_shutting_down

        from apps.runs.hooks import run_finished
        from apps.runs.webhook_outbox import on_run_finished

        run_finished.connect(on_run_finished, dispatch_uid="runs.webhook_outbox")
        worker_shutting_down.connect(_on_worker_shutting_down, weak=False)
        worker_shutdown.connect(_on_worker_shutdown, weak=False)


def _on_worker_shutting_down(**_: object) -> None:
    """SIGTERM, in the signal handler: stop claiming at once."""
    from apps.runs.worker import worker

    worker.stop_admitting()


def _on_worker_shutdown(**_: object) -> None:
    """After Celery stopped consuming, before the process exits: finish or requeue the runs in flight."""
    from django.conf import settings

    from apps.runs.worker import worker

    worker.drain(settings.WORKER_SHUTDOWN_GRACE_S)
