"""services.bitpoll.oidc and services.bitpoll.ldap evaluated with the real module system.

Single sign-on options become BITPOLL_* variables, their secrets credentials, and the unit's
address rules let the service reach the configured provider and, where its address is known,
nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, nix_eval_json

Evaluate = Callable[..., dict[str, Any]]

OIDC = """
services.bitpoll.oidc = {
  enable = true;
  issuer = "https://id.example.org/realms/example";
  clientId = "bitpoll";
  clientSecretFile = "/run/agenix/bitpoll-oidc";
  groupsClaim = "groups";
  displayName = "Example ID";
  ssoOnly = true;
};
"""
LDAP = """
services.bitpoll.ldap = {
  enable = true;
  uri = "ldaps://192.0.2.20:636";
  bindDn = "cn=bitpoll,ou=services,dc=example,dc=org";
  bindPasswordFile = "/run/agenix/bitpoll-ldap";
  userSearchBase = "ou=people,dc=example,dc=org";
  groupSearchBase = "ou=groups,dc=example,dc=org";
};
"""


@pytest.fixture(scope="session")
def evaluate(nix_instantiate: str, nixpkgs_lib: Path) -> Evaluate:
    def run(configuration: str = "", part: str = "all") -> dict[str, Any]:
        expr = (
            f"import {NIX_DIR / 'tests' / 'eval'} {{"
            f" lib = import {nixpkgs_lib};"
            f" configuration = {{ lib, ... }}: {{ services.bitpoll.enable = true; {configuration} }};"
            f' part = "{part}"; withPackage = true; }}'
        )
        return nix_eval_json(nix_instantiate, expr)

    return run


def test_oidc_options_become_variables_and_a_credential(evaluate: Evaluate) -> None:
    result = evaluate(OIDC)
    assert result["failedAssertions"] == []
    service = result["services"]["bitpoll"]
    env = service["environment"]
    assert env["BITPOLL_OIDC_ISSUER"] == "https://id.example.org/realms/example"
    assert env["BITPOLL_OIDC_CLIENT_ID"] == "bitpoll"
    assert env["BITPOLL_OIDC_SCOPES"] == "openid email profile"
    assert env["BITPOLL_OIDC_GROUPS_CLAIM"] == "groups"
    assert env["BITPOLL_OIDC_NAME"] == "Example ID"
    assert env["BITPOLL_SSO_ONLY"] == "true"
    assert not any("SECRET" in name for name in env)
    config = service["serviceConfig"]
    assert config["LoadCredential"] == ["oidc_client_secret:/run/agenix/bitpoll-oidc"]
    # Known by name only: the provider's addresses are unknown, so the rule is lifted.
    assert "IPAddressDeny" not in config


def test_oidc_with_known_addresses_keeps_everything_else_out(evaluate: Evaluate) -> None:
    result = evaluate(OIDC + 'services.bitpoll.oidc.allowedAddresses = [ "192.0.2.10/32" ];')
    config = result["services"]["bitpoll"]["serviceConfig"]
    assert config["IPAddressDeny"] == "any"
    assert config["IPAddressAllow"] == "localhost 192.0.2.10/32"


def test_ldap_by_address_is_allowed_and_nothing_else(evaluate: Evaluate) -> None:
    result = evaluate(LDAP)
    assert result["failedAssertions"] == []
    service = result["services"]["bitpoll"]
    env = service["environment"]
    assert env["BITPOLL_LDAP_URI"] == "ldaps://192.0.2.20:636"
    assert env["BITPOLL_LDAP_BIND_DN"] == "cn=bitpoll,ou=services,dc=example,dc=org"
    assert env["BITPOLL_LDAP_USER_SEARCH_BASE"] == "ou=people,dc=example,dc=org"
    assert env["BITPOLL_LDAP_GROUP_SEARCH_BASE"] == "ou=groups,dc=example,dc=org"
    assert env["BITPOLL_LDAP_START_TLS"] == "false"
    assert "BITPOLL_SSO_ONLY" not in env
    config = service["serviceConfig"]
    assert config["LoadCredential"] == ["ldap_bind_password:/run/agenix/bitpoll-ldap"]
    assert config["IPAddressDeny"] == "any"
    assert config["IPAddressAllow"] == "localhost 192.0.2.20"


def test_a_provider_on_loopback_keeps_the_loopback_rule(evaluate: Evaluate) -> None:
    result = evaluate(
        'services.bitpoll.ldap = { enable = true; uri = "ldap://127.0.0.1:389";'
        ' userDnTemplate = "uid=%(user)s,ou=people,dc=example,dc=org"; };'
    )
    config = result["services"]["bitpoll"]["serviceConfig"]
    assert config["IPAddressAllow"] == "localhost"
    assert config["IPAddressDeny"] == "any"


def test_the_manage_wrapper_gets_the_sso_credentials(evaluate: Evaluate) -> None:
    result = evaluate(LDAP)
    assert result["failedAssertions"] == []
    text = str(result)
    assert "--property=LoadCredential=ldap_bind_password:/run/agenix/bitpoll-ldap" in text


BAD = {
    "oidc-without-issuer": (
        "services.bitpoll.oidc.enable = true;",
        "oidc.enable needs the provider: set oidc.issuer",
    ),
    "ldap-without-uri": (
        'services.bitpoll.ldap = { enable = true; userSearchBase = "dc=example,dc=org"; };',
        "set ldap.uri",
    ),
    "ldap-two-ways": (
        LDAP.replace("};", 'userDnTemplate = "uid=%(user)s,dc=example,dc=org"; };'),
        "exactly one way to find users",
    ),
    "ldap-password-without-dn": (
        LDAP.replace('bindDn = "cn=bitpoll,ou=services,dc=example,dc=org";', ""),
        "bindPasswordFile is set but ldap.bindDn is not",
    ),
    "secret-in-store": (
        OIDC.replace("/run/agenix/bitpoll-oidc", "/nix/store/0000-secret"),
        "oidc.clientSecretFile",
    ),
    "secret-in-settings": (
        'services.bitpoll.settings.LDAP_BIND_PASSWORD = "x";',
        "BITPOLL_LDAP_BIND_PASSWORD",
    ),
}


@pytest.mark.parametrize(("configuration", "expected"), BAD.values(), ids=BAD)
def test_a_bad_sso_configuration_says_what_to_change(
    evaluate: Evaluate, configuration: str, expected: str
) -> None:
    failed = evaluate(configuration, part="checks")["failedAssertions"]
    assert len(failed) == 1, failed
    assert expected in " ".join(failed[0].split())


def test_the_options_are_absent_from_a_disabled_module(
    nix_instantiate: str, nixpkgs_lib: Path
) -> None:
    expr = (
        f"import {NIX_DIR / 'tests' / 'eval'} {{ lib = import {nixpkgs_lib};"
        " configuration = { services.bitpoll.ldap.enable = true; }; withPackage = false; }"
    )
    assert nix_eval_json(nix_instantiate, expr)["services"] == {}
