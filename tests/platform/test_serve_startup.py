"""`bitpoll serve` refuses to start on what `bitpoll check` knows, with one line and status 2."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from serverutil import BITPOLL, clean_env, free_port, get, run_bitpoll, serving

pytestmark = pytest.mark.slow


def serve_env(data_dir: Path, **extra: str) -> dict[str, str]:
    defaults = {
        "BITPOLL_BIND": f"127.0.0.1:{free_port()}",
        "BITPOLL_SECRET_KEY": secrets.token_urlsafe(48),
    }
    return clean_env(data_dir, **{**defaults, **extra})


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    for text in expected:
        assert text in lines[0]


def test_it_stops_in_one_line_when_postgresql_is_down(tmp_path: Path) -> None:
    env = serve_env(tmp_path / "data", BITPOLL_DATABASE_URL="postgresql://bitpoll@127.0.0.1:1/db")
    result = run_bitpoll(["serve"], env)
    assert_one_line_refusal(result, "bitpoll.E006", "The database cannot be reached", "Hint:")


def _can_mount_read_only(path: Path) -> str | None:
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "-m", "mount", "--bind", "-o", "ro", str(path), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"cannot make a private read-only mount here: {probe.stderr.strip()}"
    return None


def test_it_stops_in_one_line_on_a_read_only_data_dir(tmp_path: Path) -> None:
    """As under systemd with ProtectSystem=strict and no StateDirectory: a read-only mount."""
    data = tmp_path / "data"
    env = serve_env(data)
    assert run_bitpoll(["migrate", "-v0"], env).returncode == 0  # a database that exists
    reason = _can_mount_read_only(data)
    if reason:
        pytest.skip(reason)
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(data), *BITPOLL, "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_one_line_refusal(result, "bitpoll.E005", "read-only file system", str(data))


def test_it_stops_in_one_line_when_debug_pages_would_be_public(tmp_path: Path) -> None:
    env = serve_env(tmp_path / "data", BITPOLL_DEBUG="true", BITPOLL_BIND="0.0.0.0:1")
    result = run_bitpoll(["serve"], env)
    assert_one_line_refusal(result, "bitpoll.E009", "BITPOLL_BIND=0.0.0.0:1")


def test_it_writes_the_refusal_as_json_when_asked(tmp_path: Path) -> None:
    env = serve_env(
        tmp_path / "data",
        BITPOLL_DATABASE_URL="postgresql://bitpoll@127.0.0.1:1/db",
        BITPOLL_LOG_FORMAT="json",
    )
    result = run_bitpoll(["serve"], env)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert json.loads(line)["message"].startswith("bitpoll.E006")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_it_stops_in_one_line_when_the_data_dir_cannot_be_created(
    tmp_path: Path, log_format: str
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_bitpoll(["serve"], serve_env(blocker / "data", BITPOLL_LOG_FORMAT=log_format))
    assert_one_line_refusal(result, "cannot create the data directory")
    if log_format == "json":
        assert json.loads(result.stderr)["level"] == "error"


def test_it_stops_in_one_line_when_it_cannot_migrate(tmp_path: Path) -> None:
    """A database the Bitpoll user does not own: PostgreSQL 15+ refuses to create tables."""
    import pgcluster

    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with pgcluster.Cluster() as cluster:
        cluster.create_database("notmine")
        with cluster._admin() as admin:  # type: ignore[attr-defined]
            admin.execute("CREATE ROLE guest LOGIN")
            version = admin.execute("SHOW server_version_num").fetchone()[0]
        if int(version) < 150000:
            pytest.skip("PostgreSQL before 15 lets every user create tables in public")
        url = f"postgresql://guest@127.0.0.1:{cluster.port}/notmine"
        result = run_bitpoll(["serve"], serve_env(tmp_path / "data", BITPOLL_DATABASE_URL=url))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    last = output.strip().splitlines()[-1]
    assert "cannot apply the migrations" in last
    assert "permission denied for schema public" in last


def test_it_names_a_misspelt_variable_at_startup(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {"BITPOLL_ALLOWED_HOST": "polls.example.org"}) as server:
        log = server.log()
    assert "BITPOLL_ALLOWED_HOST is set but is not a Bitpoll setting" in log
    assert "Did you mean BITPOLL_ALLOWED_HOSTS?" in log


sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("BITPOLL_DATABASE_URL")),
    reason="the serve lock is for SQLite; several servers may share a PostgreSQL database",
)


@sqlite_only
def test_a_second_server_on_the_same_data_dir_refuses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as first:
        second = run_bitpoll(["serve"], serve_env(data))
        assert_one_line_refusal(second, "another `bitpoll serve`", f"pid {first.process.pid}")
        # A reload keeps the master, and with it the lock.
        first.process.send_signal(signal.SIGHUP)
        assert get(first.port, "/healthz")[0] == 200
        third = run_bitpoll(["serve"], serve_env(data))
        assert third.returncode == 2
        assert first.stop() == 0
    # Once the first has stopped, a new one starts on the same data dir.
    with serving(data) as again:
        assert get(again.port, "/healthz")[0] == 200


@sqlite_only
def test_a_killed_server_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as first:
        first.stop(signal.SIGKILL)  # workers notice their master is gone and exit
    with serving(data) as again:
        assert get(again.port, "/healthz")[0] == 200
