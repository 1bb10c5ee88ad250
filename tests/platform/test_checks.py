"""`bitpoll check --deploy` names each production problem with an ID and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverutil import clean_env, run_bitpoll

GOOD_KEY = "Zq3" + "x7Lk9pW2mV4nB8cR1tY6uI0oP5aS3dF7gH2jK9lZ4xC8vB1nM6qW0eR"


PRODUCTION = {
    "BITPOLL_SECRET_KEY": GOOD_KEY,
    "BITPOLL_BASE_URL": "https://polls.example.org",
    "BITPOLL_ALLOWED_HOSTS": "polls.example.org",
    "BITPOLL_BEHIND_PROXY": "true",
}


def deploy_check(tmp_path: Path, **env: str) -> tuple[int, str]:
    return check(tmp_path, "--deploy", **env)


def check(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    result = run_bitpoll(["check", *args], clean_env(tmp_path / "data", **{**PRODUCTION, **env}))
    return result.returncode, result.stdout + result.stderr


def test_it_passes_a_good_production_configuration(tmp_path: Path) -> None:
    status, output = deploy_check(tmp_path)
    assert status == 0, output
    assert "bitpoll." not in output
    # Django's HSTS subdomain and preload warnings are the domain owner's call (silenced;
    # BITPOLL_HSTS_* turn them on), so a correct setup shows no warning at all.
    assert "security.W" not in output
    assert "no issues" in output


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"BITPOLL_DEBUG": "true"}, "bitpoll.E001"),
        ({"BITPOLL_SECRET_KEY": "changeme"}, "bitpoll.E002"),
        ({"BITPOLL_SECRET_KEY": "a" * 60}, "bitpoll.E002"),
        ({"BITPOLL_SECRET_KEY": "abcdefghij" * 5}, "bitpoll.E002"),
        ({"BITPOLL_SECRET_KEY": "Correct-Horse-Battery-Staple-2024!" * 2}, "bitpoll.E002"),
        (
            {"BITPOLL_SECRET_KEY": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
            "bitpoll.E002",
        ),
        ({"BITPOLL_DEBUG": "true", "BITPOLL_BIND": "0.0.0.0:8000"}, "bitpoll.E009"),
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


def test_it_accepts_random_keys_of_every_usual_kind() -> None:
    import secrets

    from django.core.management.utils import get_random_secret_key

    from bitpoll.core.checks import is_guessable

    for _ in range(200):
        assert not is_guessable(secrets.token_hex(32))
        assert not is_guessable(secrets.token_urlsafe(48))
        assert not is_guessable(get_random_secret_key())


@pytest.mark.parametrize(
    "env",
    [
        {"BITPOLL_BIND": "0.0.0.0:8000"},
        {"BITPOLL_BIND": "[::]:8000", "BITPOLL_ALLOWED_HOSTS": "localhost"},
        {"BITPOLL_ALLOWED_HOSTS": "localhost,polls.example.org"},
        {"BITPOLL_ALLOWED_HOSTS": "*"},
    ],
)
def test_it_refuses_debug_mode_reachable_from_other_machines(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Not only with --deploy: every command that runs checks (serve, runserver) refuses."""
    status, output = check(
        tmp_path, **{"BITPOLL_DEBUG": "true", "BITPOLL_ALLOWED_HOSTS": "localhost", **env}
    )
    assert status != 0
    assert "bitpoll.E009" in output
    assert "Traceback" not in output


def test_it_allows_debug_mode_on_this_machine_only(tmp_path: Path) -> None:
    status, output = check(
        tmp_path,
        BITPOLL_DEBUG="true",
        BITPOLL_BASE_URL="http://localhost:8000",
        BITPOLL_ALLOWED_HOSTS="localhost,127.0.0.1,[::1],.localhost",
        BITPOLL_BIND="127.0.0.1:8000",
    )
    assert status == 0, output
    assert "bitpoll.E009" not in output


def test_it_names_a_misspelt_variable_with_the_closest_known_one(tmp_path: Path) -> None:
    status, output = check(tmp_path, BITPOLL_ALLOWED_HOST="polls.example.org")
    assert status == 0, output  # a warning: see docs/configuration.md
    assert "bitpoll.W007" in output
    assert "BITPOLL_ALLOWED_HOST is set but is not a Bitpoll setting" in output
    assert "Did you mean BITPOLL_ALLOWED_HOSTS?" in output


def test_it_knows_every_documented_variable_and_file_variant(tmp_path: Path) -> None:
    """The _FILE form of every secret is known, and so is every variable in the docs' table."""
    import re

    from bitpoll import conf

    secret = tmp_path / "secret"
    secret.write_text(GOOD_KEY)
    env = {
        f"BITPOLL_{name}_FILE": str(secret)
        for name in ("SECRET_KEY", "DATABASE_PASSWORD", "EMAIL_PASSWORD")
    }
    _, output = check(tmp_path, **env)
    assert "bitpoll.W007" not in output, output

    table = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `BITPOLL_([A-Z_]+)`", table, flags=re.MULTILINE))
    assert len(documented) > 10
    assert documented <= conf.KNOWN  # the test process has imported the settings


def test_it_warns_when_the_base_url_host_is_not_allowed(tmp_path: Path) -> None:
    status, output = check(tmp_path, BITPOLL_ALLOWED_HOSTS="localhost")
    assert status == 0
    assert "bitpoll.W008" in output
    assert "BITPOLL_BASE_URL's host 'polls.example.org' is not in BITPOLL_ALLOWED_HOSTS" in output
    status, output = check(tmp_path, BITPOLL_ALLOWED_HOSTS=".example.org")
    assert "bitpoll.W008" not in output


@pytest.mark.parametrize(
    ("env", "header"),
    [
        ({}, "max-age=63072000"),
        ({"BITPOLL_HSTS_INCLUDE_SUBDOMAINS": "true"}, "max-age=63072000; includeSubDomains"),
        (
            {"BITPOLL_HSTS_INCLUDE_SUBDOMAINS": "true", "BITPOLL_HSTS_PRELOAD": "yes"},
            "max-age=63072000; includeSubDomains; preload",
        ),
    ],
)
def test_it_sends_hsts_for_subdomains_and_preload_only_when_asked(
    tmp_path: Path, env: dict[str, str], header: str
) -> None:
    script = (
        "from django.test import Client\n"
        "r = Client().get('/healthz', HTTP_HOST='polls.example.org', secure=True)\n"
        "print(r.headers['Strict-Transport-Security'])"
    )
    result = run_bitpoll(
        ["shell", "-c", script], clean_env(tmp_path / "data", **{**PRODUCTION, **env})
    )
    assert result.stdout.strip().splitlines()[-1] == header, result.stderr


def test_it_warns_when_clients_can_bypass_the_proxy(tmp_path: Path) -> None:
    status, output = check(tmp_path, BITPOLL_BIND="0.0.0.0:8000")
    assert status == 0
    assert "bitpoll.W010" in output
    for bind in ("127.0.0.1:8000", "[::1]:8000", "unix:/run/bitpoll/http.sock"):
        assert "bitpoll.W010" not in check(tmp_path, BITPOLL_BIND=bind)[1]
