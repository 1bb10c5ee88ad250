"""Personas for the accounts tests, with accounts switched on.

olga owns polls, mia is a member of olga's group, nick is logged in but in no group, ivan is
invited, sam is a site admin (superuser), and a stranger has no account.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """A request in another language (a user's setting) leaves it active in this thread;
    later tests, of other modules too, expect English."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def accounts_on(settings: Any) -> Any:
    settings.ACCOUNTS_ENABLED = True
    settings.ACCOUNTS_REGISTRATION = "open"
    # Hashing a password the production way takes a good part of a second, per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


class SentMail:
    """The real sink (tests/smtpsink.py), reached through the outbox and its sender: each
    wait_for() first runs the sender once, as `bitpoll send-mail` would."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def wait_for(self, count: int, timeout: float = 30) -> Any:
        from bitpoll.mail import sender

        sender.run_once()
        return self.sink.wait_for(count, timeout=timeout)


@pytest.fixture
def mail_to_sink(settings: Any, smtp_sink: Any) -> Any:
    """Mail goes into the outbox; the sender delivers it by SMTP to the real sink."""
    settings.MAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return SentMail(smtp_sink)


def make_user(username: str, *, superuser: bool = False, display_name: str = "") -> Any:
    from django.contrib.auth import get_user_model

    from bitpoll.accounts.models import Profile

    user = get_user_model().objects.create_user(
        username, f"{username}@example.org", PASSWORD, is_superuser=superuser, is_staff=superuser
    )
    Profile.objects.create(user=user, display_name=display_name)
    return user


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
