from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"

    def ready(self) -> None:
        from celery.signals import worker_init, worker_shutting_down

        worker_init.connect(_load_run_services, weak=False)
        worker_shutting_down.connect(_on_worker_shutting_down, weak=False)


def _load_run_services(**_: object) -> None:
    # The tasks import their services lazily (beat needs only the task names); a worker loads
    # them, LangGraph included, before it takes its first run and freezes its start-up objects.
    import apps.runs.services  # noqa: F401


def _on_worker_shutting_down(**_: object) -> None:
    from apps.runs.services import begin_worker_shutdown

    begin_worker_shutdown()
