"""The embedded PostgreSQL of `manage.py dev` runs with its small-footprint settings, also on a folder it reuses."""

from pathlib import Path

import psycopg

from apps.devserver.embedded import POSTGRES_SETTINGS, EmbeddedPostgres


def running_settings(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in POSTGRES_SETTINGS}


def test_embedded_postgres_applies_its_settings_on_a_new_and_a_reused_folder(tmp_path: Path) -> None:
    for _ in range(2):  # the second start finds the folder initialised: the include is not added twice
        postgres = EmbeddedPostgres(tmp_path)
        try:
            assert running_settings(postgres.start()) == POSTGRES_SETTINGS
        finally:
            postgres.stop()
    conf = (tmp_path / "postgres" / "postgresql.conf").read_text()
    assert conf.count("include_if_exists = 'agentplatform.conf'") == 1
