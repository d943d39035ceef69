from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"

    def ready(self) -> None:
        from apps.crons.services import on_run_finished
        from apps.runs.hooks import run_finished

        # dispatch_uid: connected once, however often ready() runs.
        run_finished.connect(on_run_finished, dispatch_uid="crons.on_run_finished")
