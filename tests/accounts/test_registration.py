"""Registration -> verification -> login -> logout -> password reset, through the real SMTP sink."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _link(message: Any) -> str:
    body = message.get_content()
    found = re.search(r"http://localhost:8000(/accounts/\S+)", body)
    assert found, body
    return found.group(1)


def _register(client: Client, **extra: str) -> Any:
    data = {
        "username": "zoe",
        "email": "zoe@example.org",
        "display_name": "Zoë Z.",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post("/accounts/register/", data)


def test_it_registers_verifies_logs_in_out_and_resets(accounts_on: Any, mail_to_sink: Any) -> None:
    client = Client()
    response = _register(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user = get_user_model().objects.get(username="zoe")
    assert not user.is_active and user.profile.display_name == "Zoë Z."

    # Not verified yet: the password alone does not log in.
    login = {"username": "zoe", "password": PASSWORD}
    assert client.post("/accounts/login/", login).status_code == 200
    assert "_auth_user_id" not in client.session

    (mail,) = mail_to_sink.wait_for(1)
    assert mail["To"] == "zoe@example.org"
    verify = _link(mail)
    assert client.get(verify).status_code == 200  # asks; a link scanner's GET changes nothing
    assert not get_user_model().objects.get(username="zoe").is_active
    assert client.post(verify).status_code == 302
    assert get_user_model().objects.get(username="zoe").is_active
    assert client.post(verify).status_code == 404  # used once

    response = client.post("/accounts/login/", login)
    assert response.status_code == 302 and response["Location"] == "/accounts/polls/"
    assert client.get("/accounts/polls/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/polls/").status_code == 302  # to the login page

    response = client.post("/accounts/password/reset/", {"email": "zoe@example.org"})
    assert response.status_code == 302
    reset_mail = mail_to_sink.wait_for(2)[1]
    link = _link(reset_mail)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"reset-confirm-form" in form.content
    new = "another long passphrase 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert (
        client.post("/accounts/login/", {"username": "zoe", "password": PASSWORD}).status_code
        == 200
    )
    assert client.post("/accounts/login/", {"username": "zoe", "password": new}).status_code == 302


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    accounts_on: Any, mail_to_sink: Any
) -> None:
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail_to_sink.wait_for(1, timeout=1) == []


def test_registration_form_errors_are_400_not_500(accounts_on: Any) -> None:
    make_user("taken")
    response = _register(Client(), username="taken", email="taken@example.org", password2="x")
    assert response.status_code == 400
    page = response.content.decode()
    assert "An account with this address exists" in page
    assert get_user_model().objects.count() == 1


def test_closed_registration_and_accounts_off_are_404(settings: Any) -> None:
    settings.ACCOUNTS_ENABLED = True
    settings.ACCOUNTS_REGISTRATION = "closed"
    client = Client()
    assert client.get("/accounts/register/").status_code == 404
    assert _register(client).status_code == 404
    login = client.get("/accounts/login/").content.decode()
    assert 'id="register-link"' not in login
    settings.ACCOUNTS_ENABLED = False
    for path in (
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/polls/",
        "/accounts/groups/",
    ):
        assert client.get(path).status_code == 404, path


def test_login_is_throttled_per_user_name(accounts_on: Any) -> None:
    from bitpoll.conf import parse_rate

    accounts_on.RATELIMITS = {**accounts_on.RATELIMITS, "logins_per_user": parse_rate("X", "3/h")}
    make_user("olga")
    statuses = []
    for n in range(5):
        # Each attempt from another address: the per-name limit is what stops the guesser.
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        statuses.append(
            client.post("/accounts/login/", {"username": "Olga", "password": "no"}).status_code
        )
    assert statuses == [200, 200, 200, 429, 429]
    # The right password is refused too while the limit holds.
    client = Client(REMOTE_ADDR="192.0.2.99")
    assert (
        client.post("/accounts/login/", {"username": "olga", "password": PASSWORD}).status_code
        == 429
    )


def test_login_page_has_the_sso_placeholder_and_no_500_on_bad_input(accounts_on: Any) -> None:
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/accounts/login/", {}).status_code == 200
    assert client.get("/accounts/login/", {"next": "https://evil.example/"}).status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "x" * 500, "password": "y", "next": "//evil.example/"}
    )
    assert response.status_code == 200
    assert client.get("/accounts/verify/xx/yy/").status_code == 404
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/logout/").status_code == 405


def test_the_deploy_check_warns_when_open_registration_cannot_mail(accounts_on: Any) -> None:
    from bitpoll.accounts.checks import CONSOLE, check_registration_mail

    accounts_on.EMAIL_BACKEND = CONSOLE
    (warning,) = check_registration_mail(None)
    assert warning.id == "bitpoll.accounts.W001" and "BITPOLL_EMAIL_URL" in warning.msg
    accounts_on.ACCOUNTS_REGISTRATION = "closed"
    assert check_registration_mail(None) == []
    accounts_on.ACCOUNTS_REGISTRATION = "open"
    accounts_on.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert check_registration_mail(None) == []


def test_the_logs_hide_mailed_secrets_but_not_plain_account_pages() -> None:
    from bitpoll.core.logging import REDACTED, redact

    for text in ("GET /accounts/password/reset/sent/ HTTP/1.1", "GET /accounts/groups/x/ HTTP"):
        assert redact(text) == text
    assert redact("GET /accounts/verify/MQ/abc-123/ HTTP/1.1").endswith(f"MQ/{REDACTED}/ HTTP/1.1")
