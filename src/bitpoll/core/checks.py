"""Bitpoll's configuration checks, run by `bitpoll check` (and `--deploy` for production)."""

from __future__ import annotations

import ipaddress
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError, connections

from bitpoll import conf

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
    if len(key) < MIN_SECRET_LENGTH or is_guessable(key):
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


def is_guessable(key: str) -> bool:
    """Whether a key of the right length was typed by hand rather than drawn at random.

    A random key of 50 or more characters, even one of hex digits only, has at least 10
    distinct characters, no piece of 8 characters twice and few neighbours that follow each
    other in the character set; 'abcdefghij' * 5, 'changeme...', 'aaaa...' and keyboard runs
    fail at least one of these.
    """
    if any(word in key.lower() for word in WEAK_SECRETS) or len(set(key)) < 10:
        return True
    pieces = [key[i : i + 8] for i in range(len(key) - 7)]
    if len(set(pieces)) < len(pieces):
        return True
    # Runs like abc, 123, cba or aaa: neighbours at most one code point apart.
    steps = sum(abs(ord(a) - ord(b)) <= 1 for a, b in itertools.pairwise(key))
    return steps > len(key) // 2


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
        if os.statvfs(data_dir).f_flag & os.ST_RDONLY:
            return [
                Error(
                    f"The data directory {str(data_dir)!r} is on a read-only file system.",
                    hint=(
                        "Mount it read-write; under systemd, let the service write it "
                        "(StateDirectory= or ReadWritePaths=)."
                    ),
                    id="bitpoll.E005",
                )
            ]
        return [
            Error(
                f"The data directory {str(data_dir)!r} is not writable by this user.",
                hint="Run Bitpoll as the owner of the directory, or fix its ownership.",
                id="bitpoll.E005",
            )
        ]
    database = sqlite_path()
    if database is not None and database.exists() and not os.access(database, os.R_OK | os.W_OK):
        return [
            Error(
                f"The database file {str(database)!r} is not writable by this user.",
                hint=(
                    "Give it (and its -wal and -shm files) to the user Bitpoll runs as, e.g. "
                    "after running `bitpoll` as root by mistake."
                ),
                id="bitpoll.E005",
            )
        ]
    return []


def sqlite_path() -> Path | None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "bitpoll.core.sqlite":
        return None
    return Path(str(database["NAME"]))


@register("bitpoll")
def check_database(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if sqlite_path() is not None and check_data_dir(app_configs):
        return []  # SQLite cannot open a file there; E005 says why, once
    try:
        connections["default"].ensure_connection()
    except (DatabaseError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        tls = tls_failure(str(exc))
        if tls:
            return [
                Error(
                    f"The database server's certificate was refused: {tls}",
                    hint="Check that BITPOLL_DATABASE_CA_FILE holds the CA that signed it and "
                    "that the host in BITPOLL_DATABASE_URL is a name the certificate is for.",
                    id="bitpoll.E006",
                )
            ]
        return [
            Error(
                f"The database cannot be reached: {first_line}",
                hint="Check BITPOLL_DATABASE_URL, the database password, and that the server runs.",
                id="bitpoll.E006",
            )
        ]
    return []


def tls_failure(error: str) -> str | None:
    """The line of a libpq error that says why TLS failed, if it did.

    libpq reports every address it tried ("localhost" is ::1 and 127.0.0.1), one line each;
    the certificate's line is the one worth showing, not the first.
    """
    for line in error.splitlines():
        if "certificate" in line or "SSL" in line:
            return line.split(" failed: ", 1)[-1].strip()
    return None


@register("bitpoll")
def check_unknown_variables(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, suggestion in conf.unknown_variables():
        hint = (
            f"Did you mean {suggestion}?"
            if suggestion
            else "See docs/configuration.md for the variables Bitpoll reads."
        )
        messages.append(
            Warning(
                f"{name} is set but is not a Bitpoll setting: it has no effect.",
                hint=hint,
                id="bitpoll.W007",
            )
        )
    return messages


@register("bitpoll")
def check_base_url_host(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    host = urlsplit(settings.BASE_URL).hostname or ""
    if host and not host_is_allowed(host, settings.ALLOWED_HOSTS):
        return [
            Warning(
                f"BITPOLL_BASE_URL's host {host!r} is not in BITPOLL_ALLOWED_HOSTS "
                f"({','.join(settings.ALLOWED_HOSTS)}): requests for it are refused with 400, "
                "and links in mails and exports point there.",
                hint=f"Add {host} to BITPOLL_ALLOWED_HOSTS, or correct BITPOLL_BASE_URL.",
                id="bitpoll.W008",
            )
        ]
    return []


def host_is_allowed(host: str, allowed: Sequence[str]) -> bool:
    from django.utils.http import is_same_domain

    literal = f"[{host}]" if ":" in host else host
    return any(pattern == "*" or is_same_domain(literal, pattern) for pattern in allowed)


def is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@register("bitpoll")
def check_debug_exposed(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG:
        return []
    exposed = [host for host in settings.ALLOWED_HOSTS if not is_loopback(host.lstrip("."))]
    bind = settings.BIND
    if not bind.unix_path and not is_loopback(bind.host):
        exposed.insert(0, f"BITPOLL_BIND={bind.gunicorn()}")
    if not exposed:
        return []
    return [
        Error(
            "BITPOLL_DEBUG is on and the site is reachable from other machines ("
            + ", ".join(exposed)
            + "): debug pages would show settings and source code to anyone.",
            hint=(
                "Unset BITPOLL_DEBUG, or keep debugging to this machine: BITPOLL_BIND on "
                "127.0.0.1 and only localhost names in BITPOLL_ALLOWED_HOSTS."
            ),
            id="bitpoll.E009",
        )
    ]


@register("bitpoll")
def check_proxy_bind(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    bind = settings.BIND
    if not settings.BEHIND_PROXY or bind.unix_path or is_loopback(bind.host):
        return []
    return [
        Warning(
            f"BITPOLL_BEHIND_PROXY is on and BITPOLL_BIND={bind.gunicorn()} can be reached "
            "without the proxy: a client connecting directly can claim any address in "
            "X-Forwarded-For and https in X-Forwarded-Proto.",
            hint=(
                "Bind to 127.0.0.1 or a unix socket that only the proxy can reach, or firewall "
                "the port (a socket passed by systemd is not checked)."
            ),
            id="bitpoll.W010",
        )
    ]
