from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "apps.crons"
    label = "crons"

    def ready(self) -> None:
        from apps.crons.history import search_history
        from apps.runs import archive

        # POST /runs/search also answers from a cron's run history (its runs may be deleted).
        archive.register(search_history)
