"""The operator's documentation, run: every shell block that can run here does.

A ```sh block preceded by `<!-- not run: reason -->` needs what a test cannot have (root on the
real system, systemd, installing into /opt). The others run in order, per document, in one bash
session with `set -euo pipefail`, in a temporary directory: the absolute paths the documents
use are mapped into it (MAPPED below), and `bitpoll` is a shell function that runs the
installed command with the environment file and credentials, as the documented
`systemd-run` helper does under systemd.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from serverutil import clean_env, run_bitpoll

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
DOCS = ["docs/operations.md", "docs/development.md", "deploy/systemd/README.md"]
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->")


@dataclass
class Block:
    doc: str
    line: int
    code: str
    not_run: str | None


def shell_blocks(doc: str) -> list[Block]:
    """The ```sh blocks of a document (also inside list items), with their not-run reason."""
    lines = (ROOT / doc).read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(sh|bash)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        indent = len(fence.group(1))
        before = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
        marker = NOT_RUN.search(before)
        start = i + 1
        i = start
        while not lines[i].strip().startswith("```"):
            i += 1
        code = "\n".join(ln[indent:] for ln in lines[start:i])
        blocks.append(Block(doc, start, code, marker.group(1) if marker else None))
        i += 1
    return blocks


def test_every_shell_block_runs_or_says_why_not() -> None:
    for doc in DOCS:
        for block in shell_blocks(doc):
            assert block.not_run is None or len(block.not_run) > 5, (doc, block.line)
    runnable = [b for doc in DOCS for b in shell_blocks(doc) if b.not_run is None]
    assert len(runnable) >= 4


def test_no_document_installs_bitpoll_from_pypi() -> None:
    """Bitpoll is not on PyPI: `pip install bitpoll` installs someone else's package or none."""
    for path in [*DOCS, "README.md", "docs/configuration.md", "deploy/systemd/bitpoll.service"]:
        text = (ROOT / path).read_text()
        assert not re.search(r"pip install (-\S+ )*bitpoll\b(?!\[)", text), path


def test_the_deploy_readme_configuration_passes_the_deploy_check(tmp_path: Path) -> None:
    """The environment file the systemd README writes: https, behind nginx, nothing to warn."""
    (block,) = [b for b in shell_blocks("deploy/systemd/README.md") if "bitpoll.env <<" in b.code]
    env_file = re.search(r"<<'EOF'\n(.*?)\nEOF", block.code, flags=re.DOTALL)
    assert env_file
    settings = dict(line.split("=", 1) for line in env_file.group(1).splitlines())
    assert settings["BITPOLL_BASE_URL"].startswith("https://")
    key = "Zq3x7Lk9pW2mV4nB8cR1tY6uI0oP5aS3dF7gH2jK9lZ4xC8vB1nM6qW0eR"
    result = run_bitpoll(
        ["check", "--deploy"],
        clean_env(tmp_path / "data", BITPOLL_SECRET_KEY=key, **settings),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "identified no issues" in output, output


def _cluster_or_skip():  # type: ignore[no-untyped-def]
    import pgcluster

    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if os.geteuid() != 0:
        pytest.skip("the documented commands run as root (runuser -u postgres)")
    return pgcluster.Cluster().start()


def require_password_for_bitpoll(cluster) -> None:  # type: ignore[no-untyped-def]
    """The throwaway cluster trusts everyone; make it check the role's password over TCP."""
    hba = cluster.data / "pg_hba.conf"
    hba.write_text(
        "local all all trust\n"
        "host all bitpoll 127.0.0.1/32 scram-sha-256\n"
        "host all all 127.0.0.1/32 trust\n"
    )
    cluster._run(str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data), "reload")


def test_the_move_to_postgresql_runs_as_documented(tmp_path: Path) -> None:
    cluster = _cluster_or_skip()
    try:
        require_password_for_bitpoll(cluster)
        root = tmp_path / "root"
        mapped = {
            "/etc/bitpoll": root / "etc/bitpoll",
            "/var/lib/bitpoll": root / "var/lib/bitpoll",
            "/run/postgresql": cluster.root,
            "localhost:5432": f"127.0.0.1:{cluster.port}",
        }
        (root / "etc").mkdir(parents=True)
        (root / "var/lib/bitpoll").mkdir(parents=True, mode=0o700)
        (root / "etc/bitpoll").mkdir(mode=0o750)
        (root / "etc/bitpoll/bitpoll.env").write_text("BITPOLL_ALLOWED_HOSTS=localhost\n")
        bindir = Path(sys.executable).parent
        prelude = f"""
set -euo pipefail
export PGHOST={cluster.root} PGPORT={cluster.port}
bitpoll() {{
  (
    set -a; . {mapped["/etc/bitpoll"]}/bitpoll.env; set +a
    creds=$(mktemp -d)
    if [ -f {mapped["/etc/bitpoll"]}/database_password ]; then
      cp {mapped["/etc/bitpoll"]}/database_password "$creds/"
    fi
    CREDENTIALS_DIRECTORY=$creds BITPOLL_DATA_DIR={mapped["/var/lib/bitpoll"]} \\
      {bindir}/python -m bitpoll "$@"
  )
}}
# What there is to move: a poll with an answer, on SQLite.
bitpoll migrate -v0
bitpoll shell -c '
import zoneinfo
from bitpoll.polls import services
from bitpoll.polls.options import parse_lines
poll, _ = services.create_poll(title="Moved", description="", kind="text", time_zone="UTC",
    options=parse_lines("text", "A\\nB", zoneinfo.ZoneInfo("UTC")))
services.add_entry(poll, "Bob", {{o.pk: services.Answer(poll.choices.first().pk)
    for o in poll.options.all()}})
'
"""
        steps = []
        for block in shell_blocks("docs/operations.md"):
            if block.not_run is None:
                code = block.code
                for path, target in mapped.items():
                    code = code.replace(path, str(target))
                steps.append(f"echo '### docs/operations.md line {block.line}'\n{code}")
        assert any("restore" in step for step in steps)
        script = prelude + "\n".join(steps)
        env = clean_env(root / "var/lib/bitpoll", HOME=str(tmp_path))
        env.pop("BITPOLL_DATA_DIR")
        env.pop("BITPOLL_DATABASE_URL", None)
        result = subprocess.run(
            ["bash", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Traceback" not in output
        assert "into database bitpoll" in output, output
        assert "System check identified no issues" in output
        # The data is in PostgreSQL now, reached with the password.
        count = subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(cluster.bindir / "psql"),
                "-tA",
                "-c",
                "SELECT count(*) FROM polls_entry",
                "bitpoll",
            ],
            env={**env, "PGHOST": str(cluster.root), "PGPORT": str(cluster.port)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert count.stdout.strip() == "1"
    finally:
        cluster.stop()
