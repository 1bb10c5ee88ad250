"""`bitpoll check --deploy` validates the single sign-on configuration, one line per problem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from bitpoll import conf
from bitpoll.accounts import checks
from serverutil import clean_env, free_port, run_bitpoll
from sso.oidcprovider import OidcProvider

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    running = OidcProvider("http://127.0.0.1:8000/accounts/oidc/callback/").start()
    yield running
    running.stop()


def oidc_config(issuer: str) -> conf.Oidc:
    return conf.Oidc(
        issuer=issuer,
        client_id="bitpoll",
        client_secret=None,
        scopes=("openid",),
        groups_claim="",
        username_claim="preferred_username",
        name="",
    )


def test_a_reachable_provider_passes(provider: OidcProvider) -> None:
    with override_settings(OIDC=oidc_config(provider.issuer)):
        assert checks.check_oidc_provider(None) == []


def test_a_wrong_issuer_path_is_named(provider: OidcProvider) -> None:
    with override_settings(OIDC=oidc_config(provider.issuer + "/realms/x")):
        [error] = checks.check_oidc_provider(None)
    assert error.id == "bitpoll.E130"
    assert "/realms/x/.well-known/openid-configuration answered HTTP 404" in error.msg


def test_an_issuer_the_discovery_document_does_not_name_is_refused(
    provider: OidcProvider,
) -> None:
    # The same server under another name: its document says 127.0.0.1, not localhost.
    with override_settings(OIDC=oidc_config(provider.issuer.replace("127.0.0.1", "localhost"))):
        [error] = checks.check_oidc_provider(None)
    assert f"names the issuer '{provider.issuer}'" in error.msg
    assert "\n" not in error.msg


def test_the_command_prints_one_line_for_a_provider_that_is_down(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    issuer = f"http://127.0.0.1:{free_port()}"
    env = clean_env(
        data,
        BITPOLL_SECRET_KEY="k" + "x7Gq2vLp9RtY3mNc8ZwB4hJd6FsK1aUe5oIiP0lTgHrQyXnMbVcWz",
        BITPOLL_OIDC_ISSUER=issuer,
        BITPOLL_OIDC_CLIENT_ID="bitpoll",
        BITPOLL_LDAP_URI=f"ldap://127.0.0.1:{free_port()}",
        BITPOLL_LDAP_USER_DN_TEMPLATE="uid=%(user)s,ou=people,dc=example,dc=org",
    )
    result = run_bitpoll(["check", "--deploy", "--tag", "bitpoll"], env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    lines = [ln for ln in output.splitlines() if "bitpoll.E13" in ln]
    assert len(lines) == 2, output
    assert f"(bitpoll.E130) OpenID Connect provider {issuer}: " in lines[0] + lines[1]
    assert "cannot be reached" in output
    assert "(bitpoll.E131) LDAP server ldap://127.0.0.1:" in output
