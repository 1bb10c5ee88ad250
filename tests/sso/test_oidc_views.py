"""The OIDC login start and callback without a provider: the ways a request can be wrong."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from bitpoll import conf
from serverutil import free_port

pytestmark = pytest.mark.django_db


def configured(issuer: str) -> override_settings:
    return override_settings(
        SSO_ENABLED=True,
        OIDC=conf.Oidc(
            issuer=issuer,
            client_id="bitpoll",
            client_secret=None,
            scopes=("openid",),
            groups_claim="",
            username_claim="preferred_username",
            name="",
        ),
    )


def test_a_callback_nobody_started_is_refused_without_a_session(client: Client) -> None:
    with configured("http://127.0.0.1:9"):
        response = client.get("/accounts/oidc/callback/?state=abc&code=def")
    assert response.status_code == 400
    assert b"This sign-in was not started here" in response.content
    assert "sessionid" not in response.cookies


def test_an_unknown_state_leaves_the_pending_logins_alone(client: Client) -> None:
    session = client.session
    session["bitpoll_oidc"] = {"right": {"nonce": "n", "verifier": "v", "next": "/", "at": 0}}
    session.save()
    with configured("http://127.0.0.1:9"):
        assert client.get("/accounts/oidc/callback/?state=wrong&code=x").status_code == 400
    assert "right" in client.session["bitpoll_oidc"]


def test_the_providers_error_is_shown_and_uses_up_the_state(client: Client) -> None:
    import time

    session = client.session
    pending = {"nonce": "n", "verifier": "v", "next": "/", "at": int(time.time())}
    session["bitpoll_oidc"] = {"s1": pending}
    session.save()
    with configured("http://127.0.0.1:9"):
        response = client.get("/accounts/oidc/callback/?state=s1&error=access_denied")
        assert response.status_code == 400
        assert b"did not sign you in (access_denied)" in response.content
        assert client.get("/accounts/oidc/callback/?state=s1&code=x").status_code == 400
    assert client.session["bitpoll_oidc"] == {}


def test_a_provider_that_does_not_answer_gives_502(client: Client) -> None:
    with configured(f"http://127.0.0.1:{free_port()}"):
        response = client.get("/accounts/oidc/login/?next=/x/")
    assert response.status_code == 502
    assert b"cannot be reached at the moment" in response.content
    assert b'href="/accounts/oidc/login/"' in response.content


@pytest.mark.parametrize("path", ["/accounts/oidc/login/", "/accounts/oidc/callback/"])
def test_only_get_is_allowed(client: Client, path: str) -> None:
    with configured("http://127.0.0.1:9"):
        assert client.post(path, {}).status_code == 405
