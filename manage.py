#!/usr/bin/env python
"""Django's command-line utility for the agent server."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
    if sys.argv[1:2] == ["dev"]:
        os.environ.setdefault("DEBUG", "true")  # the development server; production sets nothing
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
