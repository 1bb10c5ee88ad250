"""The installed command: private files, one-line errors (never tracebacks) for user mistakes,
and --verify working without any database."""

from __future__ import annotations

import stat
from pathlib import Path

import archives
import pytest
from opsutil import bitpoll, env_for, written_archive

# Nothing listens on the discard port: any attempt to use this database fails at once.
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/nowhere"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data directory with one user and a default-location backup of it."""
    data = tmp_path_factory.mktemp("cli") / "data"
    env = env_for(data)
    bitpoll(["migrate", "-v0"], env)
    bitpoll(
        [
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_user('alice', password='correct horse')",
        ],
        env,
    )
    return data, written_archive(bitpoll(["backup", "--keep", "3"], env))


def assert_one_line_error(result: object, *phrases: str) -> None:
    assert result.returncode != 0  # type: ignore[attr-defined]
    stderr = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    for phrase in phrases:
        assert phrase in stderr, stderr


def test_it_writes_private_archives_in_a_private_directory(made: tuple[Path, Path]) -> None:
    data, path = made
    assert path.parent == data / "backups"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_it_verifies_without_any_database(made: tuple[Path, Path], tmp_path: Path) -> None:
    result = bitpoll(["backup", "--verify", str(made[1])], env_for(tmp_path, UNREACHABLE))
    assert "OK" in result.stdout
    assert "1 auth.user" in result.stdout


def test_it_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    result = bitpoll(
        ["backup", "--output", str(tmp_path)], env_for(tmp_path / "d", UNREACHABLE), check=False
    )
    assert_one_line_error(result, "cannot read the database")
    assert list(tmp_path.glob("*.tar.gz")) == []


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda tmp, good: tmp / "missing.tar.gz", "no such file"),
        (lambda tmp, good: tmp, "is a directory"),
        (
            lambda tmp, good: (tmp / "notes.txt", (tmp / "notes.txt").write_text("hi"))[0],
            "not a Bitpoll backup",
        ),
        (lambda tmp, good: archives.truncate(good, tmp / "cut.tgz"), "truncated or damaged"),
        (
            lambda tmp, good: archives.repack(
                good, tmp / "edit.tgz", edit_data=lambda d: d.replace(b"alice", b"mallory")
            ),
            "failed its checksum",
        ),
    ],
    ids=["missing", "directory", "text-file", "truncated", "tampered"],
)
def test_it_refuses_bad_archives_in_one_line(
    made: tuple[Path, Path], tmp_path: Path, make: object, phrase: str
) -> None:
    bad = make(tmp_path, made[1])  # type: ignore[operator]
    verify = bitpoll(["backup", "--verify", str(bad)], env_for(tmp_path / "v"), check=False)
    assert_one_line_error(verify, phrase)
    restore = bitpoll(["restore", str(bad)], env_for(tmp_path / "r"), check=False)
    assert_one_line_error(restore, phrase, "unchanged")
    assert not (tmp_path / "r" / "bitpoll.sqlite3").exists() or (
        bitpoll(["showmigrations", "auth"], env_for(tmp_path / "r")).stdout.count("[X]") == 0
    )


def test_it_refuses_an_output_directory_that_does_not_exist(tmp_path: Path) -> None:
    result = bitpoll(
        ["backup", "--output", str(tmp_path / "nope" / "b.tar.gz")],
        env_for(tmp_path / "d"),
        check=False,
    )
    assert_one_line_error(result, "does not exist")


def test_it_refuses_verify_with_output(made: tuple[Path, Path], tmp_path: Path) -> None:
    result = bitpoll(
        ["backup", "--verify", str(made[1]), "--output", str(tmp_path)],
        env_for(tmp_path / "d"),
        check=False,
    )
    assert_one_line_error(result, "--verify")


def test_it_restores_through_the_command(made: tuple[Path, Path], tmp_path: Path) -> None:
    env = env_for(tmp_path / "new")
    result = bitpoll(["restore", str(made[1])], env)
    assert "Restored 1 rows" in result.stdout
    check = bitpoll(
        [
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "print(User.objects.get(username='alice').check_password('correct horse'))",
        ],
        env,
    )
    assert check.stdout.splitlines()[-1] == "True"
    again = bitpoll(["restore", str(made[1])], env, check=False)
    assert_one_line_error(again, "not empty", "--force")
