"""`manage.py dev`, listed among Django's commands; manage.py runs it without setting
Django up (apps/devserver/supervisor.py says why)."""

import sys

from django.core.management.base import BaseCommand

from apps.devserver.supervisor import HELP, main


class Command(BaseCommand):
    help = HELP

    def run_from_argv(self, argv: list[str]) -> None:
        sys.exit(main(argv[2:]))
