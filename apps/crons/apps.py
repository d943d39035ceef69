from typing import Any

from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"

    def ready(self) -> None:
        from apps.runs import archive
        from apps.runs.hooks import run_finished

        # POST /runs/search also answers from a cron's run history (its runs may be deleted).
        archive.register(_search_history)
        # Cron bookkeeping and run history on every run's end; dispatch_uid: connected once,
        # however often ready() runs.
        run_finished.connect(_on_run_finished, dispatch_uid="crons.on_run_finished")


def _search_history(filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    # Imported at the first search: the history's serializers (DRF, httpx) would otherwise load in
    # every process that sets Django up, beat and the dev supervisor included.
    from apps.crons.history import search_history

    return search_history(filters, limit)


def _on_run_finished(sender: Any, **kwargs: Any) -> None:
    # Imported when a run ends (API or worker): crons.services brings the run services, and LangGraph.
    from apps.crons.services import on_run_finished

    on_run_finished(sender, **kwargs)
