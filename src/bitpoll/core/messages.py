"""Flash messages in a signed cookie, as Django's CookieStorage keeps them, made cheaper.

Django's storage builds its signer again for every request (importing the signing backend by
name and deriving its key), and stores every message through a SimpleCookie to measure how
long the quoted cookie would be. An answer to a poll, which sets one short message, spent a
twentieth of its time there. Here the signer is made once per secret key, and a cookie short
enough to fit even if every character had to be quoted is stored without measuring it. The
cookie is the same, byte for byte (`tests/core/test_messages.py`), so cookies set before an
upgrade or by Django's class read the same.

What the signature is taken over depends on the messages alone, so it is kept for the last
few lists of messages: the "thank you" of every answer was serialized and compressed (tried)
again each time, about a thirtieth of an answer's instructions. The signature itself, which
holds the time of signing, is made for every cookie.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.messages.storage import cookie
from django.core import signing


@functools.lru_cache(maxsize=4)
def _signer(backend: str, secret: str, fallbacks: tuple[str, ...], salt: str) -> signing.Signer:
    # get_cookie_signer() with its settings as arguments: a rotated key makes a new signer.
    return signing.get_cookie_signer(salt=salt)


class _Unsigned(signing.Signer):
    """Django's sign_object without the signing: what it signs (the messages as JSON, zlib
    compressed where that is shorter, in base64)."""

    def sign(self, value: str) -> str:
        return value


_UNSIGNED = _Unsigned(key="unused", fallback_keys=[])


@functools.lru_cache(maxsize=64)
def _payload(serialized: tuple[str, ...]) -> str:
    return _UNSIGNED.sign_object(
        list(serialized),
        serializer=cookie.MessagePartGatherSerializer,  # type: ignore[arg-type]
        compress=True,
    )


class CookieStorage(cookie.CookieStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # BaseStorage's __init__, not CookieStorage's: that one builds the signer.
        super(cookie.CookieStorage, self).__init__(*args, **kwargs)
        self.signer = _signer(
            settings.SIGNING_BACKEND,
            settings.SECRET_KEY,
            tuple(settings.SECRET_KEY_FALLBACKS),
            self.key_salt,
        )

    def _encode_parts(self, messages: Sequence[str], encode_empty: bool = False) -> str | None:
        # sign_object(), with the part that depends on the messages alone (the answer's "thank
        # you", mostly) made once per worker; the signer still signs every time (its
        # signature holds the time, and the key may change).
        if not messages and not encode_empty:
            return None
        return self.signer.sign(_payload(tuple(messages)))

    def _store(
        self,
        messages: list[Any],
        response: Any,
        remove_oldest: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> list[Any]:
        serialized = cookie.MessagePartSerializer().dumps(messages)
        encoded = self._encode_parts(serialized)
        # Quoting for a cookie turns a character into at most four and adds two quotes: below
        # this length the data fits whatever it holds, and nothing need be left out.
        if not encoded or len(encoded) * 4 + 2 <= self.max_cookie_size:
            self._update_cookie(encoded, response)  # type: ignore[attr-defined]
            return []
        return super()._store(  # type: ignore[misc, no-any-return]
            messages, response, remove_oldest, *args, **kwargs
        )
