"""Rendering a poll page costs the same, small number of queries whatever its size."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bitpoll.polls import services, tokens
from bitpoll.polls.models import Comment, Entry, Poll, Vote
from bitpoll.ratelimit import limits

from .conftest import make_poll

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


def _seed(options: int, answers: int) -> Poll:
    start = dt.date(2030, 1, 1)
    lines = "\n".join(
        f"{start + dt.timedelta(days=i // 3)} {9 + i % 3 * 2:02d}:00-{10 + i % 3 * 2:02d}:00"
        for i in range(options)
    )
    poll, _token = make_poll(kind="datetime", lines=lines)
    opts = list(poll.options.all())
    choices = list(poll.choices.all())
    entries = Entry.objects.bulk_create(
        Entry(poll=poll, name=f"Participant number {n}", edit_token_hash="x" * 64)
        for n in range(answers)
    )
    Vote.objects.bulk_create(
        Vote(
            entry=e,
            option=o,
            choice=choices[(i + j) % len(choices)],
            comment="ok" if (i * j) % 97 == 1 else "",
        )
        for i, e in enumerate(entries)
        for j, o in enumerate(opts)
    )
    Comment.objects.bulk_create(
        Comment(poll=poll, author="A", text="Hello", edit_token_hash="y" * 64) for _ in range(3)
    )
    poll.touch()
    return poll


def _count(client: Client, poll: Poll) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/{poll.slug}/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content


def test_it_renders_small_and_big_polls_in_the_same_number_of_queries(client: Client) -> None:
    small = _seed(2, 2)
    big = _seed(30, 200)
    small_queries, _ = _count(client, small)
    big_queries, content = _count(client, big)
    assert small_queries == big_queries
    assert big_queries <= MAX_QUERIES
    assert content.count(b"<tr") >= 200


def test_it_keeps_the_big_poll_page_small(client: Client) -> None:
    """Issue 6: 30 options x 200 answers in at most 120 KB raw and 15 KB gzipped."""
    big = _seed(30, 200)
    _, content = _count(client, big)
    assert len(content) <= 120 * 1024, len(content)
    assert len(gzip.compress(content)) <= 15 * 1024


def test_it_counts_the_same_for_the_admin_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, small_token = make_poll()
    services.add_entry(small, "A", {})
    big = _seed(30, 200)
    big.admin_token_hash, big_token = _new_admin_secret()
    big.save(update_fields=["admin_token_hash"])
    # The rate limiter prunes expired counters on every PRUNE_EVERY-th request, whatever the
    # page: one statement more on whichever request it falls, so it is not counted here.
    monkeypatch.setattr(limits, "_due_for_pruning", lambda: False)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/{small.slug}/admin/{small_token}/").status_code == 200
    with CaptureQueriesContext(connection) as ctx_big:
        assert client.get(f"/{big.slug}/admin/{big_token}/").status_code == 200
    assert len(ctx.captured_queries) == len(ctx_big.captured_queries)


def _new_admin_secret() -> tuple[str, str]:
    raw, hashed = tokens.new_token()
    return hashed, raw


def test_a_logged_in_visitor_is_served_from_the_cache_in_the_same_queries_for_every_size(
    settings: object,
) -> None:
    """Accounts on: the session, its user, the poll's stamp and the account's parts (its
    answers by Entry.user, display name, watching) in one query: 4, for a small poll as for a
    big one, with no render."""
    from django.contrib.auth import get_user_model

    from bitpoll.polls import pagecache

    settings.ACCOUNTS_ENABLED = True  # type: ignore[attr-defined]
    user = get_user_model().objects.create_user("olga", "olga@example.org")
    client = Client()
    client.force_login(user)
    counts = []
    for poll in (_seed(2, 2), _seed(30, 200)):
        Entry.objects.filter(poll=poll).order_by("pk").update(user=user)  # answers of hers
        client.get(f"/{poll.slug}/")  # renders the shared page once
        hits_before = len(pagecache.pages)
        queries, content = _count(client, poll)
        assert len(pagecache.pages) == hits_before  # nothing rendered
        assert b'class="account-edit"' in content
        counts.append(queries)
    assert counts == [4, 4]
