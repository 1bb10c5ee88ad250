"""`bitpoll restore`: verified first, only into an empty database unless --force, all or nothing,
migrating older archives forward."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import archives
import pytest
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot_rows() -> list[tuple[object, ...]]:
    """Everything a restore could change, to compare before and after a refused one."""
    users = list(User.objects.order_by("pk").values_list("pk", "username", "password", "email"))
    groups = list(Group.objects.order_by("pk").values_list("pk", "name"))
    links = list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id"))
    return [*users, *groups, *links]


def restore(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def wipe() -> None:
    User.objects.all().delete()
    Group.objects.all().delete()


@pytest.fixture
def archive_path(alice: User, bob: User, tmp_path: Path) -> Path:
    path = tmp_path / "good.tar.gz"
    call_command("backup", "--output", str(path), stdout=StringIO())
    return path


def test_it_restores_users_groups_and_permissions(archive_path: Path) -> None:
    before = snapshot_rows()
    wipe()
    output = restore(archive_path)
    assert "Restored 3 rows" in output
    assert snapshot_rows() == before
    alice = User.objects.get(username="alice")
    assert alice.check_password("correct horse")
    assert alice.last_name == "Ünïcødé 🗓"
    assert alice.has_perm("auth.change_group")
    assert alice.has_perm("auth.view_user")  # through her group
    assert not alice.has_perm("auth.delete_user")


def test_it_continues_ids_after_the_restored_ones(archive_path: Path) -> None:
    wipe()
    restore(archive_path)
    carol = User.objects.create_user("carol")
    assert carol.pk > max(User.objects.exclude(pk=carol.pk).values_list("pk", flat=True))


def test_it_refuses_a_database_with_data(archive_path: Path) -> None:
    User.objects.create_user("charlie")
    before = snapshot_rows()
    with pytest.raises(CommandError, match=r"not empty \(.*3 auth\.user\).*--force"):
        restore(archive_path)
    assert snapshot_rows() == before


def test_it_counts_a_database_with_only_rate_limit_counters_as_empty(
    archive_path: Path,
) -> None:
    from bitpoll.ratelimit.models import Counter

    wipe()
    Counter.objects.create(scope="renders", subject="0" * 32, bucket=0, expires=600)
    assert "Restored 3 rows" in restore(archive_path)
    assert Counter.objects.count() == 1  # limits reached before the restore still hold


def test_it_replaces_everything_with_force_and_says_what(archive_path: Path) -> None:
    User.objects.create_user("charlie")
    from django.contrib.sessions.backends.db import SessionStore

    SessionStore().create()
    output = restore(archive_path, "--force")
    assert "--force: replacing 1 auth.group, 3 auth.user, 1 sessions.session" in output
    assert sorted(User.objects.values_list("username", flat=True)) == ["alice", "bob"]
    assert not Session.objects.exists()


@pytest.mark.parametrize("damage", ["tampered", "truncated", "flipped"])
def test_it_refuses_a_damaged_archive_and_changes_nothing(
    archive_path: Path, tmp_path: Path, damage: str
) -> None:
    if damage == "tampered":
        bad = archives.repack(
            archive_path,
            tmp_path / "bad.tgz",
            edit_data=lambda data: data.replace(b'"is_superuser":false', b'"is_superuser":true'),
        )
        expected = "failed its checksum"
    elif damage == "truncated":
        bad = archives.truncate(archive_path, tmp_path / "bad.tgz")
        expected = "truncated or damaged"
    else:
        bad = archives.flip_byte(archive_path, tmp_path / "bad.tgz")
        expected = "truncated or damaged|failed its checksum|not a valid|not a Bitpoll backup"
    User.objects.filter(username="bob").update(email="changed@example.org")
    before = snapshot_rows()
    with pytest.raises(CommandError, match=expected) as error:
        restore(bad, "--force")
    assert "unchanged" in str(error.value)
    assert "\n" not in str(error.value)
    assert snapshot_rows() == before


def test_it_rolls_everything_back_when_loading_fails(archive_path: Path, tmp_path: Path) -> None:
    """A consistent-looking archive whose rows break a constraint (two users, one name)."""
    bad = archives.repack(
        archive_path,
        tmp_path / "dup.tgz",
        edit_data=lambda data: data.replace(b'"username":"bob"', b'"username":"alice"'),
        fix_checksum=True,
    )
    User.objects.create_user("charlie")
    before = snapshot_rows()
    with pytest.raises(CommandError, match="rolled back"):
        restore(bad, "--force")
    assert snapshot_rows() == before


def test_it_refuses_an_archive_from_a_newer_version(archive_path: Path, tmp_path: Path) -> None:
    newer = archives.repack(
        archive_path,
        tmp_path / "newer.tgz",
        edit_manifest=lambda m: m["migrations"]["auth"].append("9999_from_the_future"),
    )
    wipe()
    with pytest.raises(CommandError, match=r"needs migration auth\.9999_from_the_future"):
        restore(newer)
    assert not User.objects.exists()


def test_it_migrates_an_older_archive_forward(archive_path: Path, tmp_path: Path) -> None:
    """The archive says auth was at 0011: restore goes there, loads, then applies 0012."""
    older = archives.repack(
        archive_path,
        tmp_path / "older.tgz",
        edit_manifest=lambda m: m["migrations"]["auth"].remove(
            "0012_alter_user_first_name_max_length"
        ),
    )
    wipe()
    output = restore(older)
    assert "applied 1 newer migration(s)" in output
    applied = MigrationRecorder.Migration.objects.filter(app="auth").values_list("name", flat=True)
    assert "0012_alter_user_first_name_max_length" in applied
    assert User.objects.get(username="alice").first_name == "Alîce"


def test_it_refuses_rows_of_a_model_the_archive_does_not_define(
    archive_path: Path, tmp_path: Path
) -> None:
    def add_row(data: bytes) -> bytes:
        row = {"model": "auth.nosuchmodel", "pk": 1, "fields": {}}
        return data + json.dumps(row).encode() + b"\n"

    def count(manifest: dict[str, dict[str, int]]) -> None:
        manifest["counts"]["auth.nosuchmodel"] = 1

    bad = archives.repack(
        archive_path, tmp_path / "x.tgz", edit_data=add_row, edit_manifest=count, fix_checksum=True
    )
    wipe()
    with pytest.raises(CommandError, match=r"auth\.nosuchmodel"):
        restore(bad)
    assert not User.objects.exists()


def test_it_rolls_back_rows_that_point_at_nothing(archive_path: Path, tmp_path: Path) -> None:
    """A foreign key to a row the archive does not hold fails the restore as a whole."""
    bad = archives.repack(
        archive_path,
        tmp_path / "dangling.tgz",
        edit_data=lambda data: re.sub(rb'"groups":\[\d+\]', b'"groups":[999999]', data),
        fix_checksum=True,
    )
    assert archives.members(bad)[1] != archives.members(archive_path)[1]
    wipe()
    with pytest.raises(CommandError, match="rolled back"):
        restore(bad)
    assert not User.objects.exists()
    assert not Group.objects.exists()


def test_it_renders_stored_html_again_instead_of_trusting_the_archive(
    alice: User, tmp_path: Path
) -> None:
    """An archive with edited description_html and a matching checksum restores harmless HTML."""
    from django.test import Client

    from bitpoll.polls import services
    from bitpoll.polls.models import Poll

    poll, _token = services.create_poll(
        title="Lunch", description="*Hi*", kind="text", time_zone="UTC", options=[]
    )
    path = tmp_path / "good.tar.gz"
    call_command("backup", "--output", str(path), stdout=StringIO())
    evil = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'

    def edit(data: bytes) -> bytes:
        lines = []
        for line in data.splitlines():
            row = json.loads(line)
            if row["model"] == "polls.poll":
                row["fields"]["description_html"] = evil
            lines.append(json.dumps(row, sort_keys=True).encode())
        return b"\n".join(lines) + b"\n"

    forged = archives.repack(path, tmp_path / "forged.tgz", edit_data=edit, fix_checksum=True)
    output = restore(forged, "--force")
    assert "Rendered 1 poll description(s) again" in output
    restored = Poll.objects.get(slug=poll.slug)
    assert restored.description_html.strip() == "<p><em>Hi</em></p>"
    page = Client().get(f"/{poll.slug}/").content.decode()
    assert "http-equiv" not in page and "<em>Hi</em>" in page
