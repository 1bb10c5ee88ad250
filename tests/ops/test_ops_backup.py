"""`bitpoll backup`: archive contents, canonical dump, atomic private files, --keep."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import archives
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder
from opsutil import BITPOLL, env_for

from bitpoll.ops import archive, dump
from privileges import without_root_powers

pytestmark = pytest.mark.django_db(transaction=True)


def backup(*args: str) -> Path:
    from io import StringIO

    out = StringIO()
    call_command("backup", *args, stdout=out)
    line = out.getvalue().splitlines()[0]
    assert line.startswith("Backup written to ")
    return Path(line.removeprefix("Backup written to ").split(" (")[0])


def test_it_writes_a_private_archive_into_the_data_dir(alice: User, bob: User) -> None:
    path = backup()
    try:
        assert path.parent == Path(settings.DATA_DIR) / "backups"
        assert archive.NAME_RE.match(path.name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []
    finally:
        path.unlink()


def test_it_records_version_migrations_counts_and_checksum(
    alice: User, bob: User, tmp_path: Path
) -> None:
    path = backup("--output", str(tmp_path / "b.tar.gz"))
    manifest, data = archives.members(path)
    applied = MigrationRecorder.Migration.objects.values_list("app", "name")
    assert {(app, n) for app, names in manifest["migrations"].items() for n in names} == set(
        applied
    )
    assert manifest["counts"]["auth.user"] == 2
    assert manifest["counts"]["auth.group"] == 1
    assert manifest["format"] == "bitpoll-backup"
    assert manifest["bitpoll_version"]
    import hashlib

    assert manifest["files"]["data.jsonl"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_it_leaves_out_derived_and_ephemeral_tables(alice: User, tmp_path: Path) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    SessionStore().create()
    models = {row["model"] for row in archives.rows(backup("--output", str(tmp_path / "b.tgz")))}
    assert models == {"auth.user", "auth.group"}
    assert not models & (dump.DERIVED | dump.EPHEMERAL)


def test_it_writes_permissions_as_natural_keys(alice: User, tmp_path: Path) -> None:
    rows = archives.rows(backup("--output", str(tmp_path / "b.tgz")))
    user = next(r for r in rows if r["model"] == "auth.user")
    group = next(r for r in rows if r["model"] == "auth.group")
    assert user["fields"]["user_permissions"] == [["change_group", "auth", "group"]]
    assert group["fields"]["permissions"] == [
        ["add_user", "auth", "user"],
        ["view_user", "auth", "user"],
    ]
    assert user["fields"]["last_name"] == "Ünïcødé 🗓"


def test_it_dumps_the_same_data_to_identical_bytes(alice: User, bob: User, tmp_path: Path) -> None:
    first = archives.members(backup("--output", str(tmp_path / "1.tgz")))[1]
    second = archives.members(backup("--output", str(tmp_path / "2.tgz")))[1]
    assert first == second
    lines = first.splitlines()
    keys = [(json.loads(line)["model"], json.loads(line)["pk"]) for line in lines]
    assert keys == sorted(keys)


def test_it_changes_the_dump_when_data_changes(alice: User, tmp_path: Path) -> None:
    before = archives.members(backup("--output", str(tmp_path / "1.tgz")))[1]
    User.objects.filter(pk=alice.pk).update(first_name="Alice")
    after = archives.members(backup("--output", str(tmp_path / "2.tgz")))[1]
    assert before != after


def test_it_writes_a_timestamped_archive_into_a_given_directory(
    alice: User, tmp_path: Path
) -> None:
    path = backup("--output", str(tmp_path))
    assert path.parent == tmp_path
    assert archive.NAME_RE.match(path.name)


def test_it_replaces_an_existing_output_file_atomically(alice: User, tmp_path: Path) -> None:
    target = tmp_path / "b.tgz"
    target.write_bytes(b"old")
    backup("--output", str(target))
    assert archive.verify_archive(target).counts["auth.user"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.tgz"]


def test_it_keeps_only_the_newest_n_of_its_own_archives(alice: User, tmp_path: Path) -> None:
    mine = [tmp_path / f"bitpoll-backup-2020010{i}T000000.000000Z.tar.gz" for i in range(1, 5)]
    for path in mine:
        path.write_bytes(b"x")
    foreign = [tmp_path / "notes.txt", tmp_path / "bitpoll-backup-manual.tar.gz"]
    for path in foreign:
        path.write_bytes(b"y")
    newest = backup("--output", str(tmp_path), "--keep", "2")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([mine[-1].name, newest.name, *(p.name for p in foreign)])


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_it_rejects_a_bad_keep_count(value: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("backup", "--output", str(tmp_path), f"--keep={value}")


def test_it_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", "--output", str(tmp_path / "nope" / "b.tgz"))


def test_it_refuses_a_read_only_directory(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir(mode=0o500)
    try:
        argv = without_root_powers([*BITPOLL, "backup", "--output", str(target / "b.tgz")])
        result = subprocess.run(
            argv, env=env_for(tmp_path / "data"), capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0
        assert "not writable" in result.stderr
        assert list(target.iterdir()) == []
    finally:
        target.chmod(0o700)


def test_it_cleans_up_when_the_dump_fails(
    alice: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(out: object, using: str = "default", registry: object = None) -> dict[str, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dump, "write_dump", broken)
    target = tmp_path / "b.tgz"
    with pytest.raises(CommandError, match="No space left"):
        call_command("backup", "--output", str(target))
    assert list(tmp_path.iterdir()) == []
