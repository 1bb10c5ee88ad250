"""deploy/systemd: plain units with the same sandbox as nix/hardening.nix (issue 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from nixhelpers import DEPLOY_DIR, MODULE_TARGET, as_lines, parse_unit, words

# Code lives in the Nix store on NixOS and in /usr plus the venv elsewhere,
# and the state directory is named in NoExecPaths= (its own mount escapes
# NoExecPaths=/); everything else must match exactly.
_HOST_SPECIFIC = {"ExecPaths", "NoExecPaths"}

SERVICES = [
    "bitpoll.service",
    "bitpoll-backup.service",
    "bitpoll-mail.service",
    "bitpoll-purge.service",
]


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    return parse_unit((DEPLOY_DIR / name).read_text())


def _seconds(span: str) -> int:
    units = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    total = 0
    for number, unit in re.findall(r"(\d+)\s*([a-z]*)", span):
        total += int(number) * units[unit or "s"]
    return total


@pytest.mark.parametrize("name", SERVICES)
def test_it_carries_every_hardening_directive(hardening: dict[str, Any], name: str) -> None:
    service = _unit(name)["Service"]
    for key, value in hardening.items():
        assert key in service, f"{name} lacks {key}="
        if key in _HOST_SPECIFIC:
            continue
        assert service[key] == as_lines(value), f"{name}: {key}= differs from hardening.nix"


@pytest.mark.parametrize("name", SERVICES)
def test_it_keeps_code_execution_to_system_and_venv_paths(name: str) -> None:
    service = _unit(name)["Service"]
    assert words(service["NoExecPaths"]) == ["/", "/var/lib/" + service["StateDirectory"][0]]
    exec_paths = words(service["ExecPaths"])
    assert "/" not in exec_paths
    (start,) = service["ExecStart"]
    assert any(start.startswith(path + "/") for path in exec_paths), start


@pytest.mark.parametrize("name", SERVICES)
def test_it_scores_at_most_the_module_target(exposure_of: Callable[..., Any], name: str) -> None:
    exposure = exposure_of((DEPLOY_DIR / name).read_text(), name)
    assert exposure.warnings == []
    assert exposure.score <= MODULE_TARGET, exposure.output


def test_the_service_is_socket_activated_and_notifies() -> None:
    unit = _unit("bitpoll.service")
    assert unit["Unit"]["Requires"] == ["bitpoll.socket"]
    assert "bitpoll.socket" in words(unit["Unit"]["After"])
    assert unit["Service"]["Type"] == ["notify"]
    assert _unit("bitpoll.socket")["Socket"]["ListenStream"]


def test_the_service_migrates_first_with_a_generous_timeout() -> None:
    service = _unit("bitpoll.service")["Service"]
    assert service["ExecStartPre"][0].endswith("bitpoll migrate --noinput")
    assert service["ExecStart"][0].endswith("bitpoll serve --no-migrate")
    assert _seconds(service["TimeoutStartSec"][0]) >= 600


def test_the_service_restarts_on_failure_within_a_start_limit() -> None:
    unit = _unit("bitpoll.service")
    assert unit["Service"]["Restart"] == ["on-failure"]
    assert int(unit["Unit"]["StartLimitBurst"][0]) > 0
    assert _seconds(unit["Unit"]["StartLimitIntervalSec"][0]) > 0


def test_the_service_reloads_with_sighup_and_keeps_state_private() -> None:
    service = _unit("bitpoll.service")["Service"]
    assert "-HUP $MAINPID" in service["ExecReload"][0]
    assert service["User"] == ["bitpoll"]
    assert service["StateDirectory"] == ["bitpoll"]
    assert service["StateDirectoryMode"] == ["0700"]


def test_the_backup_timer_runs_the_backup_service() -> None:
    timer = _unit("bitpoll-backup.timer")
    assert timer["Timer"]["OnCalendar"] == ["daily"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert " backup " in _unit("bitpoll-backup.service")["Service"]["ExecStart"][0] + " "
