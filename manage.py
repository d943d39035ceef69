#!/usr/bin/env python
"""Django's command-line utility for the agent server."""

import os
import secrets
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
    if sys.argv[1:2] == ["dev"]:
        # The development server runs without DEBUG (no debug pages: it may listen on 0.0.0.0),
        # so it needs a SECRET_KEY: a fresh one per start, shared by its processes, unless set.
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        # A local server for one developer: API keys are enforced only when API_KEYS is set.
        os.environ.setdefault("API_KEYS_DISABLED", "true")
        # The supervisor serves nothing: it starts without Django (apps/devserver/supervisor.py).
        from apps.devserver.supervisor import main as dev

        sys.exit(dev(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
