"""Snapshots before migrations, the refusal of a newer schema, and the way back.

Every test runs the installed `bitpoll` command on a database of its own: SQLite in the test's
directory, or a new database in a throwaway PostgreSQL server with BITPOLL_TEST_BACKEND=postgresql.
The "newer release" is this code with one more polls migration, written by the test into a
package of its own and chosen with MIGRATION_MODULES, exactly as a release would bring it.
The commands that work beside the server (send-mail, purge, ...) refuse, in one line, any
schema but this release's.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from opsutil import bitpoll, create_postgresql_database, env_for, postgresql_available

BEFORE_0006 = "0005_deleted_slug_and_restrict_choices"
SNAPSHOT_LINE = re.compile(r"^Snapshot of the database before migrating: (\S+)$", re.MULTILINE)


@pytest.fixture
def env(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    data = tmp_path / "data"
    url = None
    if postgresql_available():
        url = create_postgresql_database(f"schema_{request.node.name[:40].lower()}")
    return env_for(data, url, BITPOLL_SECRET_KEY="s" * 50)


def snapshots(env: dict[str, str]) -> list[Path]:
    directory = Path(env["BITPOLL_DATA_DIR"]) / "backups"
    return sorted(directory.glob("bitpoll-snapshot-*")) if directory.exists() else []


def manifest(path: Path) -> dict[str, object]:
    with tarfile.open(path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())


def downgrade_then_migrate(env: dict[str, str], **extra: str) -> str:
    """Undo polls 0006 (an operator's targeted migrate: no snapshot), then a plain migrate."""
    code = (
        "from django.core.management import call_command\n"
        f"call_command('migrate', 'polls', {BEFORE_0006!r}, verbosity=0)\n"
        "call_command('migrate', verbosity=1)\n"
    )
    return bitpoll(["shell", "-c", code], {**env, **extra}).stdout


def create_poll(env: dict[str, str], title: str) -> None:
    code = (
        "from bitpoll.polls import services\n"
        "from bitpoll.polls.options import ParsedOption\n"
        f"services.create_poll(title={title!r}, description='', kind='text', time_zone='UTC',\n"
        "    options=[ParsedOption(text='A'), ParsedOption(text='B')])\n"
    )
    bitpoll(["shell", "-c", code], env)


def poll_titles(env: dict[str, str]) -> list[str]:
    code = (
        "from bitpoll.polls.models import Poll\n"
        "print(sorted(Poll.objects.values_list('title', flat=True)))\n"
    )
    return eval(bitpoll(["shell", "-c", code], env).stdout.strip().splitlines()[-1])  # noqa: S307


@pytest.mark.skipif(
    postgresql_available(),
    reason="when and how many snapshots does not depend on the database: the default run "
    "covers it (the rollback test below takes a snapshot on PostgreSQL too)",
)
def test_it_snapshots_exactly_when_migrations_are_pending_and_keeps_the_newest(
    env: dict[str, str],
) -> None:
    bitpoll(["migrate"], env)
    assert snapshots(env) == [], "a new, empty database has nothing to keep"
    create_poll(env, "Kept")

    out = downgrade_then_migrate(env)
    taken = SNAPSHOT_LINE.findall(out)
    assert len(taken) == 1, out
    path = Path(taken[0])
    assert snapshots(env) == [path]
    # Named for the schema it came from, which its manifest records: polls up to 0005.
    data = manifest(path)
    polls = data["migrations"]["polls"]  # type: ignore[index]
    assert polls[-1] == BEFORE_0006 and "0006_accounts_base" not in polls
    assert data["counts"]["polls.poll"] == 1  # type: ignore[index]
    assert bitpoll(["backup", "--verify", str(path)], env).returncode == 0

    again = bitpoll(["migrate"], env).stdout
    assert "Snapshot" not in again and snapshots(env) == [path], "nothing pending, no snapshot"

    # The newest BITPOLL_SNAPSHOT_KEEP are kept (3 by default); 0 takes none and deletes none.
    newer = [SNAPSHOT_LINE.findall(downgrade_then_migrate(env, BITPOLL_SNAPSHOT_KEEP="2"))[0]]
    assert snapshots(env) == [path, Path(newer[0])]
    newer += SNAPSHOT_LINE.findall(downgrade_then_migrate(env, BITPOLL_SNAPSHOT_KEEP="2"))
    assert snapshots(env) == [Path(p) for p in newer], "the oldest went"
    out = downgrade_then_migrate(env, BITPOLL_SNAPSHOT_KEEP="0")
    assert "Snapshot" not in out and "Applying polls.0006_accounts_base... OK" in out
    assert snapshots(env) == [Path(p) for p in newer]


def polls_leaf() -> str:
    """The newest polls migration this code ships (they form one line)."""
    import bitpoll.polls.migrations as shipped

    return sorted(p.stem for p in Path(shipped.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.py"))[
        -1
    ]


def newer_release(tmp_path: Path) -> Path:
    """A settings module for this code plus polls.9000_rollback_probe (a table and a column)."""
    root = tmp_path / "newer"
    package = root / "newer_polls_migrations"
    import bitpoll.polls.migrations as shipped

    shutil.copytree(Path(shipped.__file__).parent, package, ignore=shutil.ignore_patterns("__py*"))
    (package / "__init__.py").write_text("")
    (package / "9000_rollback_probe.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('polls', {polls_leaf()!r})]\n"
        "    operations = [\n"
        "        migrations.CreateModel('RollbackProbe', [\n"
        "            ('id', models.BigAutoField(primary_key=True)),\n"
        "            ('note', models.TextField()),\n"
        "        ]),\n"
        "        migrations.AddField('poll', 'probe', models.TextField(null=True)),\n"
        "    ]\n"
    )
    (root / "newer_settings.py").write_text(
        "from bitpoll.settings import *  # noqa: F403\n\n"
        "MIGRATION_MODULES = {'polls': 'newer_polls_migrations'}\n"
    )
    return root


def run_newer(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "from django.core.management import execute_from_command_line as run; import sys; run(sys.argv)"
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "newer_settings", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_it_refuses_a_newer_schema_and_restores_the_snapshot_from_before_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    bitpoll(["migrate"], env)
    create_poll(env, "Before the upgrade")

    # The upgrade: the newer release snapshots this schema, then migrates and takes data.
    upgrade = run_newer(newer_release(tmp_path), env, "migrate")
    (snapshot,) = SNAPSHOT_LINE.findall(upgrade.stdout)
    assert "Applying polls.9000_rollback_probe... OK" in upgrade.stdout
    create_poll(env, "After the upgrade")

    # The rollback: this code meets polls.9000 and refuses, with one line, to serve or migrate.
    serve = bitpoll(["serve"], env, check=False, timeout=120)
    assert serve.returncode == 2
    lines = [line for line in serve.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, serve.stderr
    assert "polls.9000_rollback_probe" in lines[0]
    assert snapshot in lines[0] and "bitpoll restore --before-upgrade" in lines[0]
    migrate = bitpoll(["migrate"], env, check=False)
    assert migrate.returncode != 0 and "polls.9000_rollback_probe" in migrate.stderr
    # Nor does the mail sender run this release's statements on the newer tables.
    refused = bitpoll(["send-mail"], env, check=False)
    assert refused.returncode == 1, refused.stderr
    (line,) = refused.stderr.splitlines()
    assert line.startswith("CommandError: send-mail did nothing: ")
    assert "polls.9000_rollback_probe" in line and "bitpoll restore --before-upgrade" in line
    # An operator who knows 9000 only added to the schema may serve it anyway, with a warning.
    allowed = bitpoll(["migrate"], {**env, "BITPOLL_ALLOW_NEWER_SCHEMA": "true"})
    assert "No migrations to apply" in allowed.stdout
    assert "polls.9000_rollback_probe" in allowed.stderr

    # The way back: the snapshot replaces Bitpoll's tables, the newer release's included, and
    # leaves alone a table of something else that shares the database.
    unrelated = (
        "from django.db import connection\n"
        "connection.cursor().execute('CREATE TABLE unrelated_notes (id integer)')\n"
    )
    bitpoll(["shell", "-c", unrelated], env)
    restored = bitpoll(["restore", "--before-upgrade"], env)
    assert snapshot in restored.stdout
    assert poll_titles(env) == ["Before the upgrade"]
    code = (
        "from django.db import connection\n"
        "from django.db.migrations.recorder import MigrationRecorder\n"
        "print(sorted(t for t in connection.introspection.table_names() if t.endswith(('probe', 'notes'))),\n"
        "      ('polls', '9000_rollback_probe') in MigrationRecorder(connection).applied_migrations())\n"
    )
    assert (
        bitpoll(["shell", "-c", code], env).stdout.strip().splitlines()[-1]
        == "['unrelated_notes'] False"
    )
    assert "No migrations to apply" in bitpoll(["migrate"], env).stdout


# The commands that read and write Bitpoll's tables beside the server, each with arguments that
# would otherwise have it do its work.
SIDE_COMMANDS = [["send-mail"], ["purge"], ["mail-status"], ["clearratelimits"]]


def refusal_line(args: list[str], env: dict[str, str]) -> str:
    result = bitpoll(args, env, check=False)
    assert result.returncode == 1, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""  # refused before doing anything
    return lines[0]


def test_commands_beside_the_server_refuse_a_database_not_migrated_to_this_release(
    env: dict[str, str],
) -> None:
    # No schema at all yet: a fresh data directory, or a PostgreSQL database just created.
    for args in SIDE_COMMANDS:
        line = refusal_line(args, env)
        assert line.startswith(f"CommandError: {args[0]} did nothing: "), line
        assert "not migrated to this release yet" in line and "run `bitpoll migrate`" in line

    # Migrated, then taken back one polls migration: named, as the first one pending.
    bitpoll(["migrate"], env)
    downgrade = (
        "from django.core.management import call_command\n"
        f"call_command('migrate', 'polls', {BEFORE_0006!r}, verbosity=0)\n"
    )
    bitpoll(["shell", "-c", downgrade], env)
    line = refusal_line(["send-mail"], env)
    assert "(polls.0006_" in line and " more pending)" in line, line

    # Migrated: each does its work.
    bitpoll(["migrate"], env)
    for args in SIDE_COMMANDS:
        bitpoll(args, env)


def test_the_importer_refuses_a_database_not_migrated_to_this_release(
    env: dict[str, str],
) -> None:
    # Where tests/importer finds the original's sample database.
    path = Path(__file__).resolve().parents[1] / "importer" / "conftest.py"
    spec = importlib.util.spec_from_file_location("importer_conftest", path)
    assert spec is not None and spec.loader is not None
    found = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(found)
    upstream = found.upstream_dir()
    if upstream is None:
        pytest.skip("the original Bitpoll's sample database is not in ../shared/upstream")
    source = f"sqlite:///{upstream / found.SAMPLE}"
    line = refusal_line(["import-bitpoll", source, "--dry-run"], env)
    assert line.startswith("CommandError: import-bitpoll did nothing: ")
    assert "run `bitpoll migrate`" in line
