"""Deploy checks for mail: links that would point nowhere, mails that would not leave."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register("bitpoll", deploy=True)
def check_mail(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if not getattr(settings, "MAIL_ENABLED", False):
        return []
    found: list[CheckMessage] = []
    host = urlsplit(settings.BASE_URL).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
        found.append(
            Warning(
                f"BITPOLL_BASE_URL is {settings.BASE_URL!r}, but mails carry links built from it.",
                hint="Set BITPOLL_BASE_URL to the address people reach this site at.",
                id="bitpoll.W201",
            )
        )
    if settings.EMAIL_BACKEND.endswith(".console.EmailBackend"):
        found.append(
            Warning(
                "BITPOLL_EMAIL_URL is console: mails are printed to the log, not sent.",
                hint="Set BITPOLL_EMAIL_URL to your SMTP server, e.g. smtp+starttls://user@host:587.",
                id="bitpoll.W202",
            )
        )
    return found
