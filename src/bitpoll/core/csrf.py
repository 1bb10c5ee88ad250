"""CSRF tokens exactly as Django's `get_token` makes them, with the randomness drawn at once.

Django draws each of a token's random characters with its own `secrets.choice`, which is one
`os.urandom` system call per character: 32 for the mask of every token, 32 more for a new
visitor's secret. On a cached poll page that was a fifth of the whole request. Here the same
characters come from one `os.urandom` call, by rejection sampling (bytes of 248 and above are
drawn again), so each is still uniform over the 62 allowed characters and as unpredictable as
Django's.

The result is the same as Django's in every respect that its middleware reads: the secret in
`request.META["CSRF_COOKIE"]`, the flag that makes the middleware send the cookie, and a
64-character masked token that `CsrfViewMiddleware` accepts (tests/core/test_csrf.py).
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_CHARS = CSRF_ALLOWED_CHARS
_COUNT = len(_CHARS)
_LIMIT = 256 - 256 % _COUNT  # 248: the largest multiple of 62 that fits a byte
_INDEX = {char: index for index, char in enumerate(_CHARS)}


def _random_indices(length: int) -> list[int]:
    """`length` independent, uniform indices into the allowed characters."""
    out: list[int] = []
    while len(out) < length:
        # 8 of 256 byte values are rejected: 40 bytes give 32 accepted ones almost always.
        out.extend(byte % _COUNT for byte in os.urandom(length + 8) if byte < _LIMIT)
    return out[:length]


def new_secret() -> str:
    return "".join(_CHARS[i] for i in _random_indices(CSRF_SECRET_LENGTH))


def get_token(request: HttpRequest) -> str:
    """A masked token for `request`; what `django.middleware.csrf.get_token` returns."""
    meta = request.META
    secret = meta.get("CSRF_COOKIE")
    if secret is None:
        secret = meta["CSRF_COOKIE"] = new_secret()
    # As Django does: the cookie is sent again, which also renews its expiry.
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_indices(CSRF_SECRET_LENGTH)
    index = _INDEX
    cipher = "".join(_CHARS[(index[s] + m) % _COUNT] for s, m in zip(secret, mask, strict=True))
    return "".join(_CHARS[m] for m in mask) + cipher
