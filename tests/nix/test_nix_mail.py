"""The module's mail parts, evaluated with nixpkgs' module system: the sender service and the
retention timer, with the same sandbox, environment and credentials as bitpoll.service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, nix_eval_json

PACKAGE = "/nix/store/00000000000000000000000000000000-bitpoll-0.1.0"
ENABLE = "services.bitpoll.enable = true;"


@pytest.fixture(scope="session")
def evaluate(nix_instantiate: str, nixpkgs_lib: Path) -> Callable[..., dict[str, Any]]:
    def run(configuration: str = "") -> dict[str, Any]:
        expr = (
            f"import {NIX_DIR / 'tests' / 'eval'} {{"
            f" lib = import {nixpkgs_lib};"
            f" configuration = {{ lib, ... }}: {{ {ENABLE} {configuration} }};"
            f' part = "all"; withPackage = true; }}'
        )
        return nix_eval_json(nix_instantiate, expr)

    return run


def test_no_mail_server_no_sender_and_no_purge(evaluate: Callable[..., dict[str, Any]]) -> None:
    result = evaluate()
    assert "bitpoll-mail" not in result["services"]
    assert "bitpoll-purge" not in result["services"]
    assert "BITPOLL_EMAIL_URL" not in result["services"]["bitpoll"]["environment"]


def test_a_mail_server_adds_a_hardened_sender(
    evaluate: Callable[..., dict[str, Any]], hardening: dict[str, Any]
) -> None:
    result = evaluate(
        """
        services.bitpoll.email.host = "smtp.example.org";
        services.bitpoll.email.user = "polls";
        services.bitpoll.email.passwordFile = "/run/agenix/smtp";
        """
    )
    assert result["failedAssertions"] == []
    unit = result["services"]["bitpoll-mail"]
    config = unit["serviceConfig"]
    assert config["ExecStart"] == f"{PACKAGE}/bin/bitpoll send-mail --loop"
    assert config["Restart"] == "on-failure"
    assert "email_password:/run/agenix/smtp" in config["LoadCredential"]
    assert unit["environment"] == result["services"]["bitpoll"]["environment"]
    assert unit["wantedBy"] == ["multi-user.target"]
    assert "bitpoll.service" in unit["after"]
    for key, value in hardening.items():
        if key != "NoExecPaths":
            assert config.get(key) == value, key
    # It talks to a remote SMTP server: no loopback-only address filter.
    assert "IPAddressDeny" not in config


def test_the_sender_can_be_turned_off(evaluate: Callable[..., dict[str, Any]]) -> None:
    result = evaluate(
        """
        services.bitpoll.email.host = "smtp.example.org";
        services.bitpoll.mail.sender.enable = false;
        """
    )
    assert "bitpoll-mail" not in result["services"]
    # Off means no sender on this host: not one started by `bitpoll serve` either.
    assert result["services"]["bitpoll"]["environment"]["BITPOLL_MAIL_SENDER"] == "external"


def test_serve_starts_no_sender_of_its_own_beside_the_service(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate('services.bitpoll.email.host = "smtp.example.org";')
    assert "bitpoll-mail" in result["services"]
    assert result["services"]["bitpoll"]["environment"]["BITPOLL_MAIL_SENDER"] == "external"
    # Mail configured only through the environment file and no sender unit: serve sends.
    bare = evaluate('services.bitpoll.environmentFile = "/run/secrets/bitpoll.env";')
    assert "bitpoll-mail" not in bare["services"]
    assert "BITPOLL_MAIL_SENDER" not in bare["services"]["bitpoll"]["environment"]


def test_retention_adds_a_purge_timer(evaluate: Callable[..., dict[str, Any]]) -> None:
    result = evaluate("services.bitpoll.retention.days = 365;")
    assert result["failedAssertions"] == []
    assert result["services"]["bitpoll"]["environment"]["BITPOLL_POLL_RETENTION_DAYS"] == "365"
    purge = result["services"]["bitpoll-purge"]
    assert purge["serviceConfig"]["ExecStart"] == f"{PACKAGE}/bin/bitpoll purge"
    assert purge["serviceConfig"]["Type"] == "oneshot"
    assert purge["environment"] == result["services"]["bitpoll"]["environment"]
    timer = result["timers"]["bitpoll-purge"]
    assert timer["timerConfig"]["OnCalendar"] == "daily"
    assert timer["timerConfig"]["Persistent"] is True
