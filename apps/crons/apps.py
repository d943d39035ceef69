from typing import Any

from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"

    def ready(self) -> None:
        from apps.runs import archive

        # POST /runs/search also answers from a cron's run history (its runs may be deleted).
        archive.register(_search_history)


def _search_history(filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    # Imported at the first search: the history's serializers (DRF, httpx) would otherwise load in
    # every process that sets Django up, beat and the dev supervisor included.
    from apps.crons.history import search_history

    return search_history(filters, limit)
