"""The flash message cookie: the same bytes as Django's own storage, read by either."""

from __future__ import annotations

import random
import string

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage as DjangoCookieStorage
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory

from bitpoll.core.messages import CookieStorage

pytestmark = pytest.mark.django_db(databases=[])

THANKS = "Thank you, your answer is saved. Bookmark your edit link below to change it later."


def _stored(storage_class, texts, cookies=None):
    request = RequestFactory().get("/")
    request.COOKIES = cookies or {}
    storage = storage_class(request)
    for text in texts:
        storage.add(constants.SUCCESS, text)
    response = HttpResponse()
    unstored = storage.update(response)
    return response.cookies.get("messages"), unstored


def _read(storage_class, value):
    request = RequestFactory().get("/")
    request.COOKIES = {"messages": value}
    return [(m.level, m.message) for m in storage_class(request)]


@pytest.mark.parametrize(
    "texts",
    [[THANKS], ['ä ö ü ß " ; , \\ é 😀'], [THANKS, "second"], ["x" * 300]],
    ids=["one", "unusual characters", "two", "longer"],
)
def test_the_cookie_is_the_one_djangos_storage_sets(texts):
    ours, unstored = _stored(CookieStorage, texts)
    theirs, their_unstored = _stored(DjangoCookieStorage, texts)
    assert ours.OutputString() == theirs.OutputString()
    assert unstored == their_unstored == []
    for reader in (CookieStorage, DjangoCookieStorage):
        assert _read(reader, ours.value) == [(constants.SUCCESS, t) for t in texts]


def test_messages_too_long_for_a_cookie_are_cut_as_django_cuts_them():
    noise = random.Random(16)  # noqa: S311 - test data, not a secret
    # Incompressible, far beyond the cookie's 2 KB together.
    texts = [f"{i} " + "".join(noise.choices(string.printable, k=300)) for i in range(12)]
    ours, unstored = _stored(CookieStorage, texts)
    theirs, their_unstored = _stored(DjangoCookieStorage, texts)
    assert ours.value == theirs.value
    assert [m.message for m in unstored] == [m.message for m in their_unstored]
    assert unstored  # some were left out, the oldest first
    assert unstored[0].message.startswith("0 ")


def test_reading_a_message_clears_the_cookie():
    cookie, _ = _stored(CookieStorage, [THANKS])
    request = RequestFactory().get("/")
    request.COOKIES = {"messages": cookie.value}
    storage = CookieStorage(request)
    assert [m.message for m in storage] == [THANKS]
    response = HttpResponse()
    storage.update(response)
    assert response.cookies["messages"]["max-age"] == 0  # deleted


def test_a_tampered_cookie_is_ignored():
    cookie, _ = _stored(CookieStorage, [THANKS])
    assert _read(CookieStorage, cookie.value[:-3] + "abc") == []


def test_a_new_secret_key_signs_with_the_new_key(settings):
    before, _ = _stored(CookieStorage, [THANKS])
    settings.SECRET_KEY = "another-secret-key-for-this-test-" * 2
    after, _ = _stored(CookieStorage, [THANKS])
    assert after.value != before.value
    assert _read(CookieStorage, after.value) == [(constants.SUCCESS, THANKS)]
    assert _read(CookieStorage, before.value) == []  # not signed with the key in use


def test_a_cookie_signed_with_a_fallback_key_still_reads(settings):
    old_key = settings.SECRET_KEY
    before, _ = _stored(CookieStorage, [THANKS])
    settings.SECRET_KEY = "another-secret-key-for-this-test-" * 2
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert _read(CookieStorage, before.value) == [(constants.SUCCESS, THANKS)]


def test_the_same_messages_are_serialized_once_and_signed_each_time(monkeypatch):
    # Every answer sets the same "thank you": serialized and compressed once per worker, but
    # signed for each cookie, at its own time, as Django signs it.
    text = f"{THANKS} {random.random()}"  # noqa: S311 - not in the cache yet
    calls = []
    sign_object = signing.Signer.sign_object

    def counted(self, *args, **kwargs):
        calls.append(args)
        return sign_object(self, *args, **kwargs)

    now = [1_800_000_000.0]
    monkeypatch.setattr(signing.time, "time", lambda: now[0])
    first, _ = _stored(CookieStorage, [text])
    monkeypatch.setattr(signing.Signer, "sign_object", counted)
    now[0] += 100
    second, _ = _stored(CookieStorage, [text])
    assert calls == []  # ours: no sign_object for messages serialized before
    monkeypatch.setattr(signing.Signer, "sign_object", sign_object)
    theirs, _ = _stored(DjangoCookieStorage, [text])
    assert second.OutputString() == theirs.OutputString()
    assert second.value != first.value  # signed at its own time
    assert _read(CookieStorage, second.value) == [(constants.SUCCESS, text)]
    monkeypatch.setattr(signing.Signer, "sign_object", counted)
    _stored(CookieStorage, [text, "and another"])
    assert len(calls) == 1
