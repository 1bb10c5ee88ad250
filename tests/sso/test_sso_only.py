"""SSO-only mode: no Bitpoll passwords, except staff at the Django admin's login."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import Client, RequestFactory, override_settings

from bitpoll import conf

pytestmark = pytest.mark.django_db

SSO_ONLY = override_settings(
    SSO_ONLY=True,
    SSO_ENABLED=True,
    OIDC=conf.Oidc(
        issuer="https://id.example.org",
        client_id="bitpoll",
        client_secret=None,
        scopes=("openid",),
        groups_claim="",
        username_claim="preferred_username",
        name="Example ID",
    ),
    AUTHENTICATION_BACKENDS=[
        "bitpoll.accounts.backends.OidcBackend",
        "bitpoll.accounts.backends.StaffAdminOnlyBackend",
    ],
    RATELIMIT_ENABLED=False,
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
)


@SSO_ONLY
def test_local_passwords_are_refused_outside_the_admin() -> None:
    User.objects.create_user("alice", password="pw-alice-1")
    User.objects.create_user("root", password="pw-root-1", is_staff=True)
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="alice", password="pw-alice-1") is None
    assert authenticate(request, username="root", password="pw-root-1") is None
    assert authenticate(None, username="root", password="pw-root-1") is None


@SSO_ONLY
def test_staff_can_still_use_the_admin_login(client: Client) -> None:
    User.objects.create_user("root", password="pw-root-1", is_staff=True, is_superuser=True)
    User.objects.create_user("alice", password="pw-alice-1")
    refused = client.post("/admin/login/", {"username": "alice", "password": "pw-alice-1"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/admin/login/", {"username": "root", "password": "pw-root-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="root").pk)


@SSO_ONLY
def test_the_login_page_offers_only_the_provider(client: Client) -> None:
    response = client.get("/accounts/sso/login/")
    assert response.status_code == 200
    assert b'id="oidc-login"' in response.content
    assert b"Log in with Example ID" in response.content
    assert b'name="password"' not in response.content
    # Without LDAP there is no password to post.
    assert (
        client.post("/accounts/sso/login/", {"username": "a", "password": "b"}).status_code == 404
    )


def test_the_sso_pages_do_not_exist_without_sso(client: Client) -> None:
    assert client.get("/accounts/sso/login/").status_code == 404
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?state=x&code=y").status_code == 404


def test_sso_only_without_a_provider_stops_with_one_line() -> None:
    import subprocess
    import sys

    env = {
        "BITPOLL_SSO_ONLY": "true",
        "BITPOLL_SECRET_KEY": "x" * 60,
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import bitpoll.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "BITPOLL_SSO_ONLY is on but no single sign-on is configured" in result.stderr


def test_accounts_is_not_available_as_a_poll_link_name() -> None:
    from django.core.exceptions import ValidationError

    from bitpoll.polls.models import validate_slug

    with pytest.raises(ValidationError):
        validate_slug("accounts")
