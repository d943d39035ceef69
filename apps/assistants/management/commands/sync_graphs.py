from django.core.management.base import BaseCommand, CommandError

from apps.assistants.services import ensure_default_assistants
from apps.graphs.config import GraphConfigError
from apps.graphs.registry import get_registry


class Command(BaseCommand):
    help = "Load langgraph.json (failing on a broken entry) and create each graph's default assistant."

    def handle(self, *args: object, **options: object) -> None:
        try:
            registry = get_registry()
        except GraphConfigError as exc:
            raise CommandError(str(exc)) from exc
        for assistant in ensure_default_assistants(registry):
            self.stdout.write(f"graph {assistant.graph_id!r}: default assistant {assistant.assistant_id}")
