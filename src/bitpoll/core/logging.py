"""Log formatting for Bitpoll and the gunicorn it embeds: text or JSON, secrets redacted.

Admin and edit links carry their secret in the path (/<slug>/admin/<token>/...,
/<slug>/entry/<id>/<token>/...). Whoever reads the logs must not be able to take a poll over,
so every formatted line, tracebacks included, goes through redact(): the access log, Django's
request errors ("Internal Server Error: /<path>") and gunicorn's own messages alike.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

REDACTED = "[redacted]"

# A path segment: anything up to the next slash, query, fragment, quote or space, so that an
# encoded token (%xx) is caught whole. The slug may be any segment; "admin" and "entry" are the
# fixed words of the secret URL patterns in bitpoll/polls/urls.py (tests/platform/test_logging.py
# reverses every pattern with a token and checks that this hides it).
_SEGMENT = r"[^/\s?#\"']+"
_SECRET_PATHS = re.compile(
    rf"(/{_SEGMENT}/admin/|/{_SEGMENT}/entry/[0-9]+/"
    # The polls' mailed links (bitpoll/polls/urls.py): personal invitations, unsubscribing from
    # a watch, the recovery of lost admin links.
    rf"|/{_SEGMENT}/invitation/[0-9]+/|/{_SEGMENT}/watch/[0-9]+/|/{_SEGMENT}/recover/"
    # The accounts' mailed links (bitpoll/accounts/urls.py): verification, password reset and
    # e-mail change.
    rf"|/accounts/verify/{_SEGMENT}/|/accounts/password/reset/{_SEGMENT}/|/accounts/email/)"
    rf"{_SEGMENT}",
)


# Single sign-on: the authorization code and state in the OIDC callback's query. The code is
# bound to the login by PKCE, but a log reader has no business holding either.
_OIDC_CALLBACK = re.compile(r"/accounts/oidc/callback/\?[^\s\"'#]*")
_OIDC_SECRET = re.compile(r"([?&](?:code|state)=)[^&]*")


# A line without any of these cannot hold a secret path: the common case, checked cheaply.
_SECRET_WORDS = ("/admin/", "/entry/", "/accounts/", "/invitation/", "/watch/", "/recover/")


def _redact_callback(match: re.Match[str]) -> str:
    return _OIDC_SECRET.sub(lambda m: m.group(1) + REDACTED, match.group(0))


def redact(text: str) -> str:
    """Replace the secret of every admin, edit, mailed or accounts link in `text` with
    [redacted]."""
    if "/oidc/callback/" in text:
        text = _OIDC_CALLBACK.sub(_redact_callback, text)
    if not any(word in text for word in _SECRET_WORDS):
        return text
    return _SECRET_PATHS.sub(lambda m: m.group(1) + REDACTED, text)


class TextFormatter(logging.Formatter):
    """One line per record (tracebacks follow it), secrets redacted."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald and log shippers.

    gunicorn passes its access-log atoms as a dict in record.args; they become fields so that
    status, path and duration can be queried without parsing the message.
    """

    _atoms = {"h": "remote", "m": "method", "U": "path", "s": "status", "B": "bytes", "M": "ms"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if isinstance(record.args, dict):
            for atom, field in self._atoms.items():
                if atom in record.args:
                    value = record.args[atom]
                    entry[field] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


class DisallowedHostFilter(logging.Filter):
    """Turn Django's "Invalid HTTP_HOST header" error with traceback into one warning line.

    Django names its own setting (ALLOWED_HOSTS) and logs a traceback for every such request;
    an operator configures BITPOLL_ALLOWED_HOSTS, and scanners send odd Host headers all day.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Settings are applied again when gunicorn loads the app, which adds the filter again.
        if getattr(record, "bitpoll_rewritten", False):
            return True
        record.bitpoll_rewritten = True
        message = record.getMessage()
        found = re.search(r"Invalid HTTP_HOST header: ('[^']*'|\"[^\"]*\")", message)
        host = found.group(1) if found else "(unreadable)"
        record.msg = (
            "refused a request for host %s (400): if the site is reached by that name, "
            "add it to BITPOLL_ALLOWED_HOSTS"
        )
        record.args = (host,)
        record.exc_info = None
        record.exc_text = None
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        return True
