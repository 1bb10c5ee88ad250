"""Signed, expiring links for verifying an address (new account, changed e-mail)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing

EMAIL_CHANGE_SALT = "bitpoll.accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 3 * 24 * 3600


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Like the password reset token, but also void once the account is active: a link
    works once, and not at all after an admin locked the account again."""

    key_salt = "bitpoll.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return super()._make_hash_value(user, timestamp) + str(user.is_active)


activation_tokens = ActivationTokenGenerator()


def email_change_token(user_id: int, old: str, new: str) -> str:
    return signing.dumps({"u": user_id, "o": old, "n": new}, salt=EMAIL_CHANGE_SALT, compress=True)


def read_email_change(token: str) -> dict[str, object] | None:
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None
