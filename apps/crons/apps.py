from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"

    def ready(self) -> None:
        from apps.crons.history import search_history
        from apps.crons.services import on_run_finished
        from apps.runs import archive
        from apps.runs.hooks import run_finished

        # POST /runs/search also answers from a cron's run history (its runs may be deleted).
        archive.register(search_history)
        # Cron bookkeeping and run history on every run's end; dispatch_uid: connected once,
        # however often ready() runs.
        run_finished.connect(on_run_finished, dispatch_uid="crons.on_run_finished")
