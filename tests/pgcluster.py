"""Throwaway PostgreSQL clusters for tests: initdb into a temporary directory, serve on a free
loopback port (and a unix socket in that directory), delete everything on stop.

The server binaries are found through BITPOLL_PG_BIN, `pg_config --bindir`, Debian's
/usr/lib/postgresql/<version>/bin or PATH. PostgreSQL refuses to run as root, so under root the
cluster runs as the `postgres` user (it owns the temporary directory). Nothing here touches a
system cluster: no shared socket directory, no shared data directory, trust authentication on
loopback only.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["Cluster", "unavailable_reason"]


def find_bindir() -> Path | None:
    configured = os.environ.get("BITPOLL_PG_BIN")
    if configured:
        return Path(configured) if (Path(configured) / "initdb").exists() else None
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and (Path(out) / "initdb").exists() and (Path(out) / "postgres").exists():
            return Path(out)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _run_as() -> str | None:
    """The user to run the server as: None for the current user, 'postgres' under root."""
    if os.geteuid() != 0:
        return None
    return "postgres"


def unavailable_reason() -> str | None:
    """Why no cluster can be started here, or None when one can."""
    bindir = find_bindir()
    if bindir is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install "
            "postgresql or set BITPOLL_PG_BIN"
        )
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (bindir / tool).exists():
            return f"{bindir / tool} is missing"
    user = _run_as()
    if user is not None:
        try:
            pwd.getpwnam(user)
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
        if not shutil.which("runuser"):
            return "running as root and runuser is not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'bitpoll[postgres]')"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server for the life of a test session (or a single test)."""

    def __init__(self, server_options: str = "") -> None:
        """`server_options`: more `-c name=value` settings for the server (ssl=on, ...)."""
        self.server_options = server_options
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.bindir = find_bindir()
        assert self.bindir is not None
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="bitpoll-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.running = False

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            self._cmd(*args), cwd=self.root, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n{tail}"
            )

    def start(self) -> Cluster:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        # A port can be taken between choosing and binding it; try a few.
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.root} -c fsync=off "
                "-c full_page_writes=off -c max_connections=200 " + self.server_options
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
            except RuntimeError:
                if attempt == 4:
                    raise
                continue
            break
        self.running = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self.running:
            self.running = False
            subprocess.run(
                self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"),
                cwd=self.root,
                capture_output=True,
                timeout=120,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> object:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its BITPOLL_DATABASE_URL."""
        with self._admin() as conn:  # type: ignore[attr-defined]
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:  # type: ignore[attr-defined]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
