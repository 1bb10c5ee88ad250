"""Mail on, pointed at the real SMTP sink (tests/smtpsink.py), no rate limits unless a test
sets them."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from smtpsink import SmtpSink


@pytest.fixture
def mail(settings: SettingsWrapper, smtp_sink: SmtpSink, db: None) -> SmtpSink:
    settings.MAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "bitpoll@example.org"
    settings.BASE_URL = "https://polls.example.org"
    settings.MAIL_RATE = None
    settings.MAIL_RATE_PER_RECIPIENT = None
    return smtp_sink
