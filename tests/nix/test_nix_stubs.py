"""nix/tests/eval/stubs.nix refuses what NixOS would refuse (issue 10).

The module tests are only as good as the option declarations they evaluate
against. Each configuration below adds one definition that a real NixOS
rejects (by the option types in nixpkgs' systemd-unit-options.nix,
users-groups.nix, the nginx and postgresql modules, or their assertions);
the stubs must reject it too, with an error or a failed assertion that
names the option.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, NixEvalError, nix_eval_json

ENABLE = "services.bitpoll.enable = true;"


@pytest.fixture(scope="module")
def evaluate(nix_instantiate: str, nixpkgs_lib: Path) -> Callable[[str], dict[str, Any]]:
    def run(configuration: str) -> dict[str, Any]:
        expr = (
            f"import {NIX_DIR / 'tests' / 'eval'} {{"
            f" lib = import {nixpkgs_lib};"
            f" configuration = {{ lib, ... }}: {{ {ENABLE} {configuration} }}; }}"
        )
        return nix_eval_json(nix_instantiate, expr)

    return run


REFUSED = {
    "a string where a list of unit names is required": (
        'systemd.services.bitpoll.wantedBy = "multi-user.target";',
        "systemd.services.bitpoll.wantedBy",
    ),
    "a unit name without a unit type": (
        'systemd.services.bitpoll.after = [ "network" ];',
        "systemd.services.bitpoll.after",
    ),
    "a single value mixed with the module's list": (
        'systemd.services.bitpoll.serviceConfig.LoadCredential = "extra:/run/keys/extra";',
        "LoadCredential",
    ),
    "a service type systemd does not know": (
        'systemd.services.bitpoll.serviceConfig.Type = lib.mkForce "notfiy";',
        "systemd.services.bitpoll.serviceConfig",
    ),
    "a restart policy systemd does not know": (
        'systemd.services.bitpoll.serviceConfig.Restart = lib.mkForce "on-crash";',
        "systemd.services.bitpoll.serviceConfig",
    ),
    "a number as an environment value": (
        "systemd.services.bitpoll.environment.BITPOLL_WORKERS = lib.mkForce 4;",
        "systemd.services.bitpoll.environment.BITPOLL_WORKERS",
    ),
    "an attribute set as a unit directive": (
        "systemd.services.bitpoll.serviceConfig.Nice = { value = 5; };",
        "systemd.services.bitpoll.serviceConfig.Nice",
    ),
    "a newline in a unit description": (
        'systemd.services.bitpoll.description = lib.mkForce "Bitpoll\\nsecond line";',
        "systemd.services.bitpoll.description",
    ),
    "an option sockets do not have": (
        "systemd.sockets.bitpoll.restartIfChanged = false;",
        "systemd.sockets.bitpoll.restartIfChanged",
    ),
    "a colon in the home directory": (
        'services.bitpoll.dataDir = "/srv/bit:poll";',
        "users.users.bitpoll.home",
    ),
    "a port out of range in the firewall": (
        "networking.firewall.allowedTCPPorts = [ 70000 ];",
        "networking.firewall.allowedTCPPorts",
    ),
    "an unknown nginx location option": (
        """
        services.bitpoll.nginx = { enable = true; hostName = "polls.example.org"; };
        services.nginx.virtualHosts."polls.example.org".locations."/".proxyPas = "http://x";
        """,
        "proxyPas",
    ),
    "a package list given a string": (
        'environment.systemPackages = "bitpoll";',
        "environment.systemPackages",
    ),
}


@pytest.mark.parametrize(("configuration", "option"), REFUSED.values(), ids=REFUSED)
def test_a_definition_nixos_refuses_is_refused(
    evaluate: Callable[[str], dict[str, Any]], configuration: str, option: str
) -> None:
    with pytest.raises(NixEvalError) as failure:
        evaluate(configuration)
    assert option in str(failure.value)


ASSERTED = {
    "a user that is neither system nor normal user": (
        "users.users.bitpoll.isSystemUser = lib.mkForce false;",
        "users.users.bitpoll",
    ),
    "a user without a group": (
        'users.users.bitpoll.group = lib.mkForce "";',
        "users.users.bitpoll.group",
    ),
    "database ownership without the database": (
        """
        services.bitpoll.database = { type = "postgresql"; createLocally = true; };
        services.postgresql.ensureDatabases = lib.mkForce [ ];
        """,
        "ensureDBOwnership",
    ),
}


@pytest.mark.parametrize(("configuration", "option"), ASSERTED.values(), ids=ASSERTED)
def test_a_definition_nixos_asserts_against_fails_an_assertion(
    evaluate: Callable[[str], dict[str, Any]], configuration: str, option: str
) -> None:
    failed = evaluate(configuration)["failedAssertions"]
    assert any(option in message for message in failed), failed


def test_what_the_module_defines_passes_the_stricter_stubs(
    evaluate: Callable[[str], dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.nginx = { enable = true; hostName = "polls.example.org"; };
        services.bitpoll.database = { type = "postgresql"; createLocally = true; };
        services.bitpoll.backup.enable = true;
        services.bitpoll.openFirewall = true;
        """
    )
    assert result["failedAssertions"] == []
