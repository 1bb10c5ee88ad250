"""Where the secret key comes from: variable, then file, then systemd credential, then generated."""

from __future__ import annotations

import stat
from pathlib import Path

from serverutil import clean_env, run_bitpoll

SHOW_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"
KEY_VAR = "v" * 30 + "ariable-secret-0123456789abcdefghij"
KEY_FILE = "f" * 30 + "ile-secret-0123456789abcdefghijkl"
KEY_CRED = "c" * 30 + "redential-secret-0123456789abcdefg"


def secret_key(env: dict[str, str]) -> str:
    result = run_bitpoll(["shell", "--no-imports", "-c", SHOW_KEY], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def sources(tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "key"
    key_file.write_text(KEY_FILE + "\n")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "secret_key").write_text(KEY_CRED)
    return {
        "BITPOLL_SECRET_KEY": KEY_VAR,
        "BITPOLL_SECRET_KEY_FILE": str(key_file),
        "CREDENTIALS_DIRECTORY": str(credentials),
    }


def test_it_prefers_the_variable(tmp_path: Path) -> None:
    assert secret_key(clean_env(tmp_path / "data", **sources(tmp_path))) == KEY_VAR


def test_it_reads_the_file_when_there_is_no_variable(tmp_path: Path) -> None:
    given = sources(tmp_path)
    del given["BITPOLL_SECRET_KEY"]
    assert secret_key(clean_env(tmp_path / "data", **given)) == KEY_FILE


def test_it_reads_the_systemd_credential_next(tmp_path: Path) -> None:
    given = sources(tmp_path)
    del given["BITPOLL_SECRET_KEY"], given["BITPOLL_SECRET_KEY_FILE"]
    assert secret_key(clean_env(tmp_path / "data", **given)) == KEY_CRED
    assert not (tmp_path / "data" / "secret_key").exists()


def test_it_generates_a_private_key_once_and_reuses_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = secret_key(clean_env(data))
    key_file = data / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert len(first) >= 50
    assert key_file.read_text().strip() == first
    assert secret_key(clean_env(data)) == first


def test_it_does_not_write_anything_when_settings_are_imported(tmp_path: Path) -> None:
    """Only the command creates the data dir; importing settings (e.g. by a WSGI server) must not."""
    import subprocess
    import sys

    data = tmp_path / "data"
    env = clean_env(data, BITPOLL_SECRET_KEY=KEY_VAR, DJANGO_SETTINGS_MODULE="bitpoll.settings")
    code = "from django.conf import settings; print(settings.DATA_DIR)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert not data.exists()


def test_it_refuses_an_empty_secret_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    result = run_bitpoll(
        ["check"], clean_env(tmp_path / "data", BITPOLL_SECRET_KEY_FILE=str(empty))
    )
    assert result.returncode != 0
    assert "is empty" in result.stderr
