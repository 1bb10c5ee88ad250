"""The OIDC callback's code and state never reach a log line (bitpoll.core.logging.redact)."""

from __future__ import annotations

from bitpoll.core.logging import REDACTED, redact


def test_code_and_state_are_redacted_and_the_rest_kept() -> None:
    line = 'GET /accounts/oidc/callback/?code=c0de-1_x&state=st4te&iss=http%3A%2F%2Fh HTTP/1.1 "-"'
    assert redact(line) == (
        f"GET /accounts/oidc/callback/?code={REDACTED}&state={REDACTED}"
        '&iss=http%3A%2F%2Fh HTTP/1.1 "-"'
    )


def test_other_queries_are_left_alone() -> None:
    line = "GET /accounts/oidc/login/?next=/%3Fcode%3D1 and /?code=visible"
    assert redact(line) == line
