"""Accounts on, the anonymous poll page costs what it cost before."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bitpoll.polls import pagecache
from polls.conftest import answer_as, make_poll

pytestmark = pytest.mark.django_db


def _queries(path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert Client().get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_anonymous_poll_page_costs_the_same_with_accounts_on(settings: Any) -> None:
    poll, _ = make_poll()
    answer_as(poll, "Bob", [0, 1])
    path = f"/{poll.slug}/"
    settings.ACCOUNTS_ENABLED = False
    pagecache.pages.clear()
    render_off, hit_off = _queries(path), _queries(path)
    settings.ACCOUNTS_ENABLED = True
    pagecache.pages.clear()
    render_on, hit_on = _queries(path), _queries(path)
    assert (render_on, hit_on) == (render_off, hit_off)
    assert hit_on == 1


def test_the_shared_page_names_no_logged_in_user(accounts_on: Any) -> None:
    """A page rendered while someone is logged in never lands in the cache everyone shares."""
    from .conftest import client_for, make_user

    poll, _ = make_poll()
    pagecache.pages.clear()
    olga = client_for(make_user("olga"))
    assert "olga" in olga.get(f"/{poll.slug}/").content.decode()
    stranger = Client().get(f"/{poll.slug}/").content.decode()
    assert "olga" not in stranger and 'id="nav-login"' in stranger
