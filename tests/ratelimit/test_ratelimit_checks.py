"""`bitpoll check --deploy` warns while the rate limits are off, and only then."""

from __future__ import annotations

from pathlib import Path

from serverutil import clean_env, run_bitpoll

GOOD_KEY = "Zq3" + "x7Lk9pW2mV4nB8cR1tY6uI0oP5aS3dF7gH2jK9lZ4xC8vB1nM6qW0eR"


def _check(tmp_path: Path, **env: str) -> str:
    base = {"BITPOLL_SECRET_KEY": GOOD_KEY, "BITPOLL_BASE_URL": "https://polls.example.org"}
    result = run_bitpoll(["check", "--deploy"], clean_env(tmp_path / "data", **base, **env))
    return result.stdout + result.stderr


def test_it_warns_when_the_limits_are_off(tmp_path: Path) -> None:
    output = _check(tmp_path, BITPOLL_RATELIMIT_ENABLED="false")
    assert "bitpoll.W101" in output
    assert "BITPOLL_RATELIMIT_ENABLED" in output


def test_it_is_quiet_when_a_single_limit_is_off(tmp_path: Path) -> None:
    output = _check(tmp_path, BITPOLL_RATELIMIT_COMMENTS_PER_POLL="off")
    assert "bitpoll.W101" not in output
