import os

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.graphs.store import StoreSetupError, prepare_store


class Command(BaseCommand):
    help = (
        "Get a database ready to serve: migrate, create each graph's default assistant, the store's vector "
        "index if langgraph.json asks for one, and the admin user named by DJANGO_SUPERUSER_USERNAME / "
        "DJANGO_SUPERUSER_PASSWORD."
    )

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("sync_graphs")
        try:
            prepare_store()
        except StoreSetupError as exc:
            raise CommandError(str(exc)) from exc
        self._ensure_superuser()

    def _ensure_superuser(self) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not username or not password:
            return
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            return
        users.objects.create_superuser(username, os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), password)
        self.stdout.write(f"created admin user {username!r}")
