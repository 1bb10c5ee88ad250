"""Secrets for the admin and edit links.

Only a SHA-256 hash of each secret is stored; the raw value lives in the link (and in a cookie
in the participant's browser). A 32-byte token has enough entropy that an unsalted fast hash
is fine: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
# token_urlsafe(32) yields 43 characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 64


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return (raw, hash) for a fresh secret."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, hash_token(raw)


def check_token(raw: str | None, hashed: str) -> bool:
    if not raw or not hashed or len(raw) > MAX_TOKEN_LENGTH:
        return False
    return hmac.compare_digest(hash_token(raw), hashed)


SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# 14 characters of 36 carry 72.4 bits: unguessable, still short enough to share.
SLUG_LENGTH = 14


def random_slug() -> str:
    """A random link name: SLUG_LENGTH lowercase letters and digits (at least 72 bits)."""
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))
