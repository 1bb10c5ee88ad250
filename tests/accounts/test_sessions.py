"""The session store reads what Django's database store reads, with a statement of its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bitpoll.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_sites_session_engine(settings: Any) -> None:
    from django.contrib.sessions.middleware import SessionMiddleware

    assert settings.SESSION_ENGINE == "bitpoll.accounts.sessions"
    assert SessionMiddleware(lambda r: None).SessionStore is SessionStore  # type: ignore[arg-type,return-value]


def test_it_reads_a_session_written_by_djangos_store_in_one_query() -> None:
    written = django_db.SessionStore()
    written["a"] = {"nested": [1, "two"]}
    written.create()
    store = SessionStore(written.session_key)
    with CaptureQueriesContext(connection) as ctx:
        assert dict(store.items()) == {"a": {"nested": [1, "two"]}}
    assert len(ctx.captured_queries) == 1
    assert store.session_key == written.session_key
    # And Django's store reads what this one writes.
    store["b"] = 2
    store.save()
    assert django_db.SessionStore(written.session_key)["b"] == 2


def test_it_reads_nothing_of_an_expired_or_unknown_session() -> None:
    old = SessionStore()
    old["secret"] = "kept"
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    for key in (old.session_key, "x" * 32):
        store = SessionStore(key)
        assert "secret" not in store and store.session_key is None
        # Like Django's: a later save makes a new key, never reusing the one it was given.
        store["new"] = 1
        store.save()
        assert store.session_key not in (None, key)
