from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"

    def ready(self) -> None:
        from celery.signals import worker_shutting_down

        worker_shutting_down.connect(_on_worker_shutting_down, weak=False)


def _on_worker_shutting_down(**_: object) -> None:
    from apps.runs.services import begin_worker_shutdown

    begin_worker_shutdown()
