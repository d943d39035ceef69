"""`python manage.py build`: a Docker build context for your own graph, like `langgraph build`."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.devserver.build import BuildError, build_context
from apps.graphs.config import GraphConfigError, load_config


class Command(BaseCommand):
    help = (
        "Write a Docker build context serving the application of a langgraph.json: its dependencies "
        "installed, its files copied (no .env), this server's code, a Dockerfile and a compose file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--config", default=settings.LANGGRAPH_CONFIG, help="path to langgraph.json")
        parser.add_argument("-o", "--output", required=True, help="folder to write the build context to (new)")
        parser.add_argument("-t", "--tag", default="agentplatform-app", help="image name for the docker command")

    def handle(self, *args: Any, **options: Any) -> None:
        config_path = Path(options["config"]).resolve()
        try:
            config = load_config(config_path)
            context = build_context(config, Path(options["output"]), image_name=options["tag"])
        except (GraphConfigError, BuildError) as exc:
            raise CommandError(f"{config_path}: {exc}") from exc
        self.stdout.write(f"Build context written to {context.out}")
        self.stdout.write(f"- serves {context.config_in_image}")
        for line in context.requirements:
            self.stdout.write(f"- installs {line}")
        self.stdout.write(f"\nBuild the image with:\n\n    docker build -t {options['tag']} {context.out}\n")
