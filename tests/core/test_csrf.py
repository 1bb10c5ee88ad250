"""bitpoll.core.csrf: Django's CSRF tokens, drawn with one system call (the page cache's)."""

from __future__ import annotations

import collections
import os

import pytest
from django.middleware import csrf as django_csrf
from django.test import RequestFactory

from bitpoll.core import csrf


def test_a_new_visitor_gets_a_secret_and_a_token_that_unmasks_to_it() -> None:
    request = RequestFactory().get("/")
    token = csrf.get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the middleware sends the cookie
    assert len(secret) == django_csrf.CSRF_SECRET_LENGTH
    assert len(token) == django_csrf.CSRF_TOKEN_LENGTH
    assert set(secret + token) <= set(django_csrf.CSRF_ALLOWED_CHARS)
    assert django_csrf._unmask_cipher_token(token) == secret
    assert django_csrf._does_token_match(token, secret)


def test_a_returning_visitor_keeps_the_secret_and_each_token_is_masked_afresh() -> None:
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = django_csrf._get_new_csrf_string()
    tokens = {csrf.get_token(request) for _ in range(20)}
    assert len(tokens) == 20
    assert request.META["CSRF_COOKIE"] == secret
    assert all(django_csrf._does_token_match(t, secret) for t in tokens)
    # A token of another secret does not match.
    assert not django_csrf._does_token_match(csrf.get_token(RequestFactory().get("/")), secret)


def test_the_characters_are_uniform() -> None:
    counts = collections.Counter("".join(csrf.new_secret() for _ in range(20_000)))
    expected = 20_000 * 32 / 62  # about 10,300 each, standard deviation about 100
    assert len(counts) == 62
    assert all(abs(n - expected) < 1_000 for n in counts.values()), counts


def test_bytes_beyond_the_last_whole_multiple_are_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 248..255 would favour the first eight characters if they were folded in with a modulo.
    draws = iter([bytes([248, 255, 0, 61, 62, 247] * 8), bytes(range(40))])
    monkeypatch.setattr(os, "urandom", lambda n: next(draws)[:n])
    chars = django_csrf.CSRF_ALLOWED_CHARS
    # 6 usable bytes per round: 0, 61, 62 and 247 map to 0, 61, 0 and 61 (247 = 3 * 62 + 61).
    indices = csrf._random_indices(32)
    assert indices[:4] == [0, 61, 0, 61]
    assert len(indices) == 32
    assert all(0 <= i < len(chars) for i in indices)
