"""BITPOLL_OIDC_*, BITPOLL_LDAP_* and BITPOLL_SSO_ONLY: strict parsing, one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bitpoll import conf

OIDC = {"BITPOLL_OIDC_ISSUER": "https://id.example.org/realms/x", "BITPOLL_OIDC_CLIENT_ID": "bp"}
LDAP = {
    "BITPOLL_LDAP_URI": "ldaps://ldap.example.org",
    "BITPOLL_LDAP_USER_SEARCH_BASE": "ou=people,dc=example,dc=org",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def set_env(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_nothing_configured_means_no_sso(env) -> None:  # type: ignore[no-untyped-def]
    assert conf.env_oidc() is None
    assert conf.env_ldap() is None


def test_oidc_reads_the_secret_from_a_file(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    env(
        {
            **OIDC,
            "BITPOLL_OIDC_CLIENT_SECRET_FILE": str(secret),
            "BITPOLL_OIDC_GROUPS_CLAIM": "groups",
        }
    )
    cfg = conf.env_oidc()
    assert cfg is not None
    assert cfg.issuer == "https://id.example.org/realms/x"
    assert cfg.client_secret == "s3cret"
    assert cfg.groups_claim == "groups"
    assert cfg.scopes == ("openid", "email", "profile")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"BITPOLL_OIDC_ISSUER": "http://id.example.org"}, "BITPOLL_OIDC_ISSUER='http://id.example.org' is not valid: expected an https:// URL"),
        ({"BITPOLL_OIDC_ISSUER": "https://id.example.org"}, "BITPOLL_OIDC_CLIENT_ID is not: expected the client id"),
        ({**OIDC, "BITPOLL_OIDC_SCOPES": "email"}, "BITPOLL_OIDC_SCOPES='email' is not valid"),
        ({"BITPOLL_LDAP_URI": "https://ldap.example.org"}, "BITPOLL_LDAP_URI='https://ldap.example.org' is not valid: expected an ldap:// or ldaps://"),
        ({"BITPOLL_LDAP_URI": "ldap://ldap.example.org"}, "expected exactly one of BITPOLL_LDAP_USER_SEARCH_BASE"),
        ({**LDAP, "BITPOLL_LDAP_USER_FILTER": "(uid=bob)"}, "expected a filter containing %(user)s"),
        ({**LDAP, "BITPOLL_LDAP_START_TLS": "true"}, "BITPOLL_LDAP_START_TLS='true' is not valid: expected false with an ldaps:// URI"),
        ({**LDAP, "BITPOLL_LDAP_GROUP_TYPE": "memberof"}, "BITPOLL_LDAP_GROUP_TYPE='memberof' is not valid"),
        ({**LDAP, "BITPOLL_LDAP_CA_FILE": "ca.pem"}, "BITPOLL_LDAP_CA_FILE='ca.pem' is not valid: expected an absolute path"),
        ({**LDAP, "BITPOLL_LDAP_REQUIRE_GROUP": "cn=x"}, "BITPOLL_LDAP_REQUIRE_GROUP needs BITPOLL_LDAP_GROUP_SEARCH_BASE"),
    ],
)  # fmt: skip
def test_it_refuses_mistakes_with_one_line(env, values: dict[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
    env(values)
    with pytest.raises(conf.ConfigError) as info:
        conf.env_oidc()
        conf.env_ldap()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_plain_http_is_allowed_to_a_provider_on_the_same_host(env) -> None:  # type: ignore[no-untyped-def]
    env({**OIDC, "BITPOLL_OIDC_ISSUER": "http://127.0.0.1:9000"})
    cfg = conf.env_oidc()
    assert cfg is not None and cfg.issuer == "http://127.0.0.1:9000"


def test_ldap_reads_the_bind_password_from_a_credential(  # type: ignore[no-untyped-def]
    env, tmp_path: Path
) -> None:
    (tmp_path / "ldap_bind_password").write_text("bind-pw\n")
    env(
        {
            **LDAP,
            "BITPOLL_LDAP_BIND_DN": "cn=bitpoll,dc=example,dc=org",
            "CREDENTIALS_DIRECTORY": str(tmp_path),
        }
    )
    cfg = conf.env_ldap()
    assert cfg is not None
    assert cfg.bind_password == "bind-pw"
    assert cfg.group_type == "groupofnames"
