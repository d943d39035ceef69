"""A Docker build context for the user's own graph, like `langgraph build` (`manage.py build`).

    out/
      Dockerfile              the server image plus the application
      .dockerignore
      server/                 this server's code and its production requirements.txt
      app/                    the application's folders, relative layout kept
      requirements-app.txt    its `dependencies`: pip names, local packages, their requirements files
      docker-compose.yml      the stack, building this context (.env.example beside it)
      README.md               how to build, run, and the mount alternative

Local folders are copied without secrets or local state (.env, virtualenvs, VCS,
caches, node_modules, data folders): `env` values are passed at run time instead.
"""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from apps.graphs.config import LangGraphConfig

SERVER_ROOT = Path(__file__).resolve().parents[2]
# What the server needs at run time: no tests, no benchmarks, no example app.
SERVER_PATHS = ("agentplatform", "apps", "docker/entrypoint.sh", "manage.py", "requirements.txt")
# Never copied into an image: secrets, environments, VCS, caches, local data.
IGNORED_NAMES = (
    ".env",
    ".env.*",
    ".venv",
    "venv",
    ".git",
    ".hg",
    "__pycache__",
    "*.pyc",
    "node_modules",
    ".agentplatform",
    ".langgraph_api",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "*.egg-info",
)
PACKAGE_MARKERS = ("pyproject.toml", "setup.py")
BASE_IMAGE = "python:3.11-slim"
APP_ROOT_IN_IMAGE = "/deps"


class BuildError(Exception):
    """The application cannot be packaged (a local dependency that does not exist, ...)."""


@dataclass
class BuildContext:
    out: Path
    config_in_image: str
    copied: list[Path] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)


def _is_local(dependency: str) -> bool:
    return dependency.startswith((".", "/"))


def _file_target_dir(base_dir: Path, target: str | None) -> Path | None:
    """The folder of a `./file.py:name` target (graphs, auth, store embed), None for `package.module:name`."""
    if not target or ":" not in target:
        return None
    module_part = target.rsplit(":", 1)[0]
    if module_part.endswith(".py") or "/" in module_part or module_part.startswith("."):
        return (base_dir / module_part).resolve().parent
    return None


def application_dirs(config: LangGraphConfig) -> list[Path]:
    """Folders to copy: the config's, each local dependency, and any folder a file target lives in."""
    base = config.base_dir.resolve()
    dirs = [base]
    for dependency in config.dependencies:
        if _is_local(dependency):
            path = (base / dependency).resolve()
            if not path.is_dir():
                raise BuildError(f"dependency {dependency!r}: {path} is not a folder")
            dirs.append(path)
    targets = [spec.target for spec in config.graphs.values()]
    targets += [config.auth_path, (config.store.index or {}).get("embed")]
    dirs += [d for d in (_file_target_dir(base, t) for t in targets) if d is not None]
    outermost: list[Path] = []
    for path in sorted(set(dirs), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(kept) for kept in outermost):
            outermost.append(path)
    return outermost


def _common_root(paths: list[Path]) -> Path:
    root = paths[0]
    while not all(path.is_relative_to(root) for path in paths):
        root = root.parent
    return root


def requirement_lines(config: LangGraphConfig, root: Path) -> list[str]:
    """pip requirement lines for `dependencies`, with local paths relative to the context (pip runs there)."""
    lines: list[str] = []
    base = config.base_dir.resolve()
    for dependency in config.dependencies:
        if not _is_local(dependency):
            lines.append(dependency)  # a pip requirement: "langchain-openai", "pkg>=1.2"
            continue
        path = (base / dependency).resolve()
        in_context = Path("app") / path.relative_to(root)
        if any((path / marker).exists() for marker in PACKAGE_MARKERS):
            lines.append(f"./{in_context.as_posix()}")
        elif (path / "requirements.txt").exists():
            lines.append(f"-r ./{(in_context / 'requirements.txt').as_posix()}")
        # else: a plain folder of modules, put on sys.path at start-up (apps/graphs/config.py)
    return lines


def build_context(config: LangGraphConfig, out: Path, image_name: str = "agentplatform-app") -> BuildContext:
    """Write the build context into `out` (which must be empty or absent)."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        raise BuildError(f"{out} is not empty")
    dirs = application_dirs(config)
    root = _common_root(dirs)
    if any(out.is_relative_to(d) for d in dirs):
        raise BuildError(f"{out} is inside the application; pick an output folder outside it")
    out.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(*IGNORED_NAMES)
    context = BuildContext(out=out, config_in_image="")
    for directory in dirs:
        destination = out / "app" / directory.relative_to(root)
        shutil.copytree(directory, destination, ignore=ignore, dirs_exist_ok=True)
        context.copied.append(destination)
    for relative in SERVER_PATHS:
        source = SERVER_ROOT / relative
        destination = out / "server" / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, ignore=ignore)
        else:
            shutil.copy2(source, destination)
    context.requirements = requirement_lines(config, root)
    (out / "requirements-app.txt").write_text(
        "# The application's langgraph.json `dependencies` (generated by manage.py build)\n"
        + "".join(f"{line}\n" for line in context.requirements)
    )
    context.config_in_image = f"{APP_ROOT_IN_IMAGE}/app/{config.path.resolve().relative_to(root).as_posix()}"
    (out / "Dockerfile").write_text(dockerfile(context.config_in_image))
    (out / ".dockerignore").write_text("".join(f"**/{name}\n" for name in IGNORED_NAMES))
    compose = (SERVER_ROOT / "docker-compose.yml").read_text()
    (out / "docker-compose.yml").write_text(compose.replace("image: agentplatform:latest", f"image: {image_name}"))
    shutil.copy2(SERVER_ROOT / ".env.example", out / ".env.example")
    (out / "README.md").write_text(readme(image_name, context.config_in_image, out))
    return context


def dockerfile(config_in_image: str) -> str:
    return f"""# Generated by `manage.py build`: the Agent Server serving this application.
# Same roles as the server's own image: api (default), worker, beat, prepare, flower.
FROM {BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# The server's production requirements first: this layer changes least often.
WORKDIR /app
COPY server/requirements.txt ./
RUN pip install -r requirements.txt

# The application and its dependencies (local packages are installed from the copy).
WORKDIR {APP_ROOT_IN_IMAGE}
COPY app/ ./app/
COPY requirements-app.txt ./
RUN pip install -r requirements-app.txt

WORKDIR /app
COPY server/ ./
ENV LANGGRAPH_CONFIG={config_in_image}
RUN useradd --system --home /app agent && chown -R agent /app
USER agent

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["api"]
"""


def readme(image_name: str, config_in_image: str, out: Path) -> str:
    return f"""# {image_name}: the Agent Server with your application

Generated by `manage.py build`. Build and run:

    docker build -t {image_name} {out}
    cd {out} && cp .env.example .env   # fill in SECRET_KEY, POSTGRES_PASSWORD, API_KEYS
    docker compose up -d

The image serves `{config_in_image}`. Values of langgraph.json's `env` (a `.env`
file) are not copied into the image: put them in `.env` here (compose passes it
to every container) or in your orchestrator's secrets.

## Without building: mount the application

The server's own image can serve an application mounted at run time, when
everything it imports is already installed in that image:

    docker run -v /path/to/app:/deps/app -e LANGGRAPH_CONFIG=/deps/app/langgraph.json ... agentplatform api

Anything else (pip packages, local packages with a pyproject.toml) needs this
generated image, or one `FROM agentplatform` with `RUN pip install ...`.
"""
