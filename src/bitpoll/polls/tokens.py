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


def random_slug() -> str:
    """Twelve URL-safe characters (72 bits): unguessable, short enough to share."""
    return secrets.token_urlsafe(9).lower().replace("_", "x").replace("-", "y")[:12]
