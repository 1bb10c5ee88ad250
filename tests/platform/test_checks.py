"""`bitpoll check --deploy` names each production problem with an ID and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverutil import clean_env, run_bitpoll

GOOD_KEY = "Zq3" + "x7Lk9pW2mV4nB8cR1tY6uI0oP5aS3dF7gH2jK9lZ4xC8vB1nM6qW0eR"


def deploy_check(tmp_path: Path, **env: str) -> tuple[int, str]:
    base = {"BITPOLL_SECRET_KEY": GOOD_KEY, "BITPOLL_BASE_URL": "https://polls.example.org"}
    result = run_bitpoll(["check", "--deploy"], clean_env(tmp_path / "data", **{**base, **env}))
    return result.returncode, result.stdout + result.stderr


def test_it_passes_a_good_production_configuration(tmp_path: Path) -> None:
    status, output = deploy_check(tmp_path)
    assert status == 0, output
    assert "bitpoll." not in output


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"BITPOLL_DEBUG": "true"}, "bitpoll.E001"),
        ({"BITPOLL_SECRET_KEY": "changeme"}, "bitpoll.E002"),
        ({"BITPOLL_SECRET_KEY": "a" * 60}, "bitpoll.E002"),
        ({"BITPOLL_ALLOWED_HOSTS": "*"}, "bitpoll.E003"),
        ({"BITPOLL_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "bitpoll.E006"),
    ],
)
def test_it_fails_on_each_error(tmp_path: Path, env: dict[str, str], check_id: str) -> None:
    status, output = deploy_check(tmp_path, **env)
    assert status != 0
    assert check_id in output
    assert "HINT:" in output
    assert "Traceback" not in output


def test_it_warns_about_plain_http_without_failing(tmp_path: Path) -> None:
    status, output = deploy_check(tmp_path, BITPOLL_BASE_URL="http://polls.example.org")
    assert status == 0
    assert "bitpoll.W004" in output


def test_it_fails_when_the_data_dir_is_not_writable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text(GOOD_KEY)
    data.chmod(0o500)
    try:
        env = clean_env(data, BITPOLL_SECRET_KEY=GOOD_KEY)
        status = run_bitpoll(["check"], env, unprivileged=True)
        assert status.returncode != 0
        assert "bitpoll.E005" in status.stdout + status.stderr
    finally:
        data.chmod(0o700)


@pytest.mark.django_db
def test_it_reports_a_missing_data_dir(tmp_path: Path, settings: object) -> None:
    from bitpoll.core.checks import check_data_dir

    settings.DATA_DIR = tmp_path / "gone"  # type: ignore[attr-defined]
    (message,) = check_data_dir(None)
    assert message.id == "bitpoll.E005"
    assert "does not exist" in message.msg
