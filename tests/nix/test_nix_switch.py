"""What `nixos-rebuild switch` does with the module's units (issue 10).

switch-to-configuration (nixpkgs' switch-to-configuration-ng) decides from
the unit files what to stop, restart and start. With its defaults a changed
socket-activated service is stopped together with its socket before the new
configuration is activated, and only the socket comes back: the listener is
gone for the length of the switch. The module's units carry the flags that
make it restart the service in place instead; these tests check the flags,
and the switch sequence that nix/tests/eval/switch.nix derives from them
(the sequence tests/system replays under a real systemd).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, nix_eval_json

ENABLE = "services.bitpoll.enable = true;"


@pytest.fixture(scope="module")
def evaluate(nix_instantiate: str, nixpkgs_lib: Path) -> Callable[..., dict[str, Any]]:
    def run(configuration: str = "") -> dict[str, Any]:
        expr = (
            f"import {NIX_DIR / 'tests' / 'eval'} {{"
            f" lib = import {nixpkgs_lib};"
            f" configuration = {{ lib, ... }}: {{ {ENABLE} {configuration} }}; }}"
        )
        return nix_eval_json(nix_instantiate, expr)

    return run


@pytest.fixture(scope="module")
def default(evaluate: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return evaluate()


def test_the_service_is_restarted_in_place_on_a_switch(default: dict[str, Any]) -> None:
    # X-StopIfChanged=false: `systemctl restart` after activation, instead
    # of stopping service and socket before it.
    service = default["services"]["bitpoll"]
    assert service["stopIfChanged"] is False
    assert service["restartIfChanged"] is True
    assert service["reloadIfChanged"] is False


def test_the_service_starts_at_boot_and_after_a_switch_without_a_request(
    default: dict[str, Any],
) -> None:
    # switch-to-configuration starts every active target at the end, so a
    # service that some target wants is (re)started and migrates at once.
    assert default["services"]["bitpoll"]["wantedBy"] == ["multi-user.target"]
    assert default["sockets"]["bitpoll"]["wantedBy"] == ["sockets.target"]


def test_the_socket_carries_nothing_that_changes_with_the_package(default: dict[str, Any]) -> None:
    # switch-to-configuration leaves a changed socket alone, but an
    # unchanged one is not even considered: an upgrade never touches it.
    assert "/nix/store/" not in repr(default["sockets"]["bitpoll"])


def test_an_upgrade_restarts_only_the_service_and_keeps_the_socket(
    default: dict[str, Any],
) -> None:
    switch = default["switchOnUpgrade"]
    assert switch["stop"] == []
    assert switch["restart"] == ["bitpoll.service"]
    assert switch["start"] == ["multi-user.target", "sockets.target"]
    assert switch["commands"] == [
        ["systemctl", "reset-failed"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "restart", "bitpoll.service"],
        ["systemctl", "start", "multi-user.target", "sockets.target"],
    ]


def test_the_nixpkgs_default_would_stop_the_socket(evaluate: Callable[..., dict[str, Any]]) -> None:
    # The same model with nixpkgs' default flag: what happened before.
    result = evaluate("systemd.services.bitpoll.stopIfChanged = lib.mkForce true;")
    switch = result["switchOnUpgrade"]
    assert switch["stop"] == ["bitpoll.service", "bitpoll.socket"]
    assert switch["restart"] == []
    assert switch["commands"][0] == ["systemctl", "stop", "bitpoll.service", "bitpoll.socket"]
    assert switch["commands"][-1] == [
        "systemctl",
        "start",
        "bitpoll.socket",
        "multi-user.target",
        "sockets.target",
    ]


def test_a_switch_never_interrupts_a_running_backup(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate("services.bitpoll.backup.enable = true;")
    assert result["services"]["bitpoll-backup"]["restartIfChanged"] is False
    assert result["services"]["bitpoll-backup"]["wantedBy"] == []
    # Not running between timer runs, so an upgrade leaves it (and the
    # unchanged timer) alone.
    switch = result["switchOnUpgrade"]
    assert switch["restart"] == ["bitpoll.service"]
    assert switch["start"] == ["multi-user.target", "sockets.target", "timers.target"]


def test_a_switch_during_a_backup_skips_it(nix_instantiate: str, nixpkgs_lib: Path) -> None:
    expr = (
        f"let e = import {NIX_DIR / 'tests' / 'eval'} {{ lib = import {nixpkgs_lib};"
        f" configuration = {{ {ENABLE} services.bitpoll.backup.enable = true; }}; }};"
        f" in import {NIX_DIR / 'tests' / 'eval' / 'switch.nix'} {{"
        f" lib = import {nixpkgs_lib}; inherit (e) services sockets timers;"
        ' changed = [ "bitpoll.service" "bitpoll-backup.service" ];'
        ' active = [ "bitpoll.service" "bitpoll.socket" "bitpoll-backup.service" ]; }'
    )
    switch = nix_eval_json(nix_instantiate, expr)
    assert switch["skip"] == ["bitpoll-backup.service"]
    assert switch["restart"] == ["bitpoll.service"]
    assert switch["stop"] == []
