"""Bitpoll's configuration checks, run by `bitpoll check` (and `--deploy` for production)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError, connections

WEAK_SECRETS = {"changeme", "secret", "insecure", "django-insecure", "password"}
MIN_SECRET_LENGTH = 50


@register("bitpoll", deploy=True)
def check_debug(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return [
            Error(
                "BITPOLL_DEBUG is on: error pages would show configuration and source code.",
                hint="Remove BITPOLL_DEBUG or set BITPOLL_DEBUG=false in production.",
                id="bitpoll.E001",
            )
        ]
    return []


@register("bitpoll", deploy=True)
def check_secret_key(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    key: str = settings.SECRET_KEY
    weak = any(word in key.lower() for word in WEAK_SECRETS) or len(set(key)) < 10
    if len(key) < MIN_SECRET_LENGTH or weak:
        return [
            Error(
                f"The secret key is too short or guessable ({len(key)} characters).",
                hint=(
                    f"Use at least {MIN_SECRET_LENGTH} random characters, e.g. "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > secret_key`"
                    " and BITPOLL_SECRET_KEY_FILE, or unset it so that Bitpoll generates one."
                ),
                id="bitpoll.E002",
            )
        ]
    return []


@register("bitpoll", deploy=True)
def check_allowed_hosts(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if any(host == "*" for host in settings.ALLOWED_HOSTS):
        return [
            Error(
                "BITPOLL_ALLOWED_HOSTS contains '*': any Host header is accepted, which enables "
                "host header poisoning of links.",
                hint="List the names the site is reached by, e.g. BITPOLL_ALLOWED_HOSTS=polls.example.org",
                id="bitpoll.E003",
            )
        ]
    return []


@register("bitpoll", deploy=True)
def check_base_url(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.HTTPS:
        return [
            Warning(
                f"BITPOLL_BASE_URL is {settings.BASE_URL!r}: cookies are sent without the Secure "
                "flag and HSTS is off.",
                hint=(
                    "Serve Bitpoll over TLS (e.g. nginx in front) and set "
                    "BITPOLL_BASE_URL=https://your.host and BITPOLL_BEHIND_PROXY=true."
                ),
                id="bitpoll.W004",
            )
        ]
    return []


@register("bitpoll")
def check_data_dir(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    data_dir = settings.DATA_DIR
    if not data_dir.is_dir():
        return [
            Error(
                f"The data directory {str(data_dir)!r} does not exist.",
                hint="Create it (mode 0700) or point BITPOLL_DATA_DIR at an existing directory.",
                id="bitpoll.E005",
            )
        ]
    if not os.access(data_dir, os.W_OK | os.X_OK):
        return [
            Error(
                f"The data directory {str(data_dir)!r} is not writable by this user.",
                hint="Run Bitpoll as the owner of the directory, or fix its ownership.",
                id="bitpoll.E005",
            )
        ]
    return []


@register("bitpoll", deploy=True)
def check_database(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    try:
        connections["default"].ensure_connection()
    except (DatabaseError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [
            Error(
                f"The database cannot be reached: {first_line}",
                hint="Check BITPOLL_DATABASE_URL, the database password, and that the server runs.",
                id="bitpoll.E006",
            )
        ]
    return []
