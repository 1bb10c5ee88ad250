"""`bitpoll check --deploy` for accounts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

CONSOLE = "django.core.mail.backends.console.EmailBackend"


@register("bitpoll", deploy=True)
def check_registration_mail(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """Open registration verifies addresses by mail: with mail going to the log, no one can
    finish registering."""
    if not (settings.ACCOUNTS_ENABLED and settings.ACCOUNTS_REGISTRATION == "open"):
        return []
    if settings.EMAIL_BACKEND != CONSOLE:
        return []
    return [
        Warning(
            "BITPOLL_ACCOUNTS_REGISTRATION=open, but mail goes to the log (no BITPOLL_EMAIL_URL): "
            "new accounts never receive their verification link.",
            hint="Set BITPOLL_EMAIL_URL (NixOS: services.bitpoll.email.host), or set "
            "BITPOLL_ACCOUNTS_REGISTRATION=closed.",
            id="bitpoll.accounts.W001",
        )
    ]
