from django.core.management.base import BaseCommand, CommandError

from apps.assistants.services import ensure_default_assistants
from apps.graphs.config import GraphConfigError
from apps.graphs.registry import get_registry, load_custom_app


class Command(BaseCommand):
    help = "Load langgraph.json, its graphs and app (failing on a broken one); create each graph's default assistant."

    def handle(self, *args: object, **options: object) -> None:
        try:
            registry = get_registry()
            load_custom_app(registry.config)  # `manage.py dev` reloads on this check: a broken app fails it
        except GraphConfigError as exc:
            raise CommandError(str(exc)) from exc
        for assistant in ensure_default_assistants(registry):
            self.stdout.write(f"graph {assistant.graph_id!r}: default assistant {assistant.assistant_id}")
