"""Running the installed `bitpoll` command against a chosen data directory and database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

BITPOLL = [sys.executable, "-m", "bitpoll"]


def env_for(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """A clean environment: nothing BITPOLL_* leaks in from the test process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITPOLL_", "DJANGO_"))}
    env["BITPOLL_DATA_DIR"] = str(data_dir)
    env["BITPOLL_DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bitpoll.sqlite3"
    env.update(extra)
    return env


def bitpoll(
    args: list[str], env: Mapping[str, str], check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*BITPOLL, *args], env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"bitpoll {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def written_archive(result: subprocess.CompletedProcess[str]) -> Path:
    line = result.stdout.splitlines()[0]
    assert line.startswith("Backup written to "), result.stdout
    return Path(line.removeprefix("Backup written to ").split(" (")[0])


def _test_server_url() -> str | None:
    """The PostgreSQL URL of the suite's PostgreSQL run (tests/conftest.py), else None."""
    url = os.environ.get("BITPOLL_DATABASE_URL", "")
    return url if url.startswith(("postgresql://", "postgres://")) else None


def postgresql_available() -> bool:
    return _test_server_url() is not None


def postgresql_url(name: str) -> str:
    """The URL of database `name` on the PostgreSQL server of the suite's PostgreSQL run."""
    from urllib.parse import urlsplit, urlunsplit

    url = _test_server_url()
    assert url is not None, "only in the run with BITPOLL_TEST_BACKEND=postgresql"
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_postgresql_database(name: str) -> str:
    """A new, empty database (dropped first if a previous run left it); returns its URL."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(postgresql_url(name))
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=os.environ.get("BITPOLL_DATABASE_PASSWORD"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgresql_url(name)
