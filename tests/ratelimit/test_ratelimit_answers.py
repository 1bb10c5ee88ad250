"""Answers are limited per client address and, far higher, per poll.

The per-client limit is what cuts a flood; the per-poll limit only bounds how fast a flood
from many addresses can fill a poll towards its cap of answers.
"""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Entry, Poll
from bitpoll.ratelimit.models import Counter

from .conftest import ERIN, MALLORY, answer_data, assert_limited, client_at

pytestmark = pytest.mark.django_db


def _answer(address: str, poll: Poll, name: str) -> int:
    return client_at(address).post(f"/{poll.slug}/answer/", answer_data(poll, name)).status_code


def test_it_refuses_a_flood_of_answers_from_one_client(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    for i in range(3):
        assert _answer(MALLORY, poll, f"Bot {i}") == 302
    response = client_at(MALLORY).post(f"/{poll.slug}/answer/", answer_data(poll, "Bot 3"))
    assert_limited(response, retry_after=600)
    assert Entry.objects.filter(poll=poll).count() == 3


def test_a_refused_answer_is_neither_stored_nor_counted(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    # Counted in the transaction that stores the answer (on PostgreSQL, in one statement
    # with it): the refusal rolls the count back with everything else.
    poll, _ = poll_and_token
    for i in range(3):
        assert _answer(MALLORY, poll, f"Bot {i}") == 302
    version = Poll.objects.get(pk=poll.pk).version
    for i in range(2):
        response = client_at(MALLORY).post(f"/{poll.slug}/answer/", answer_data(poll, f"X{i}"))
        assert_limited(response, retry_after=600)
    assert {c.scope: c.hits for c in Counter.objects.all()} == {
        "answers": 3,
        "answers_per_poll": 3,
    }
    assert Poll.objects.get(pk=poll.pk).version == version
    assert Entry.objects.filter(poll=poll).count() == 3


def test_a_real_participant_still_answers_during_the_flood(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    for i in range(10):
        _answer(MALLORY, poll, f"Bot {i}")
    assert _answer(ERIN, poll, "Erin") == 302
    assert Entry.objects.filter(poll=poll, name="Erin").exists()


def test_the_per_poll_limit_counts_every_client(
    small_limits: dict[str, object], poll_and_token: tuple[Poll, str]
) -> None:
    from bitpoll.conf import Rate

    small_limits["answers_per_poll"] = Rate(4, 600)
    poll, _ = poll_and_token
    for i in range(4):
        assert _answer(f"203.0.113.{i + 1}", poll, f"Person {i}") == 302
    assert_limited(
        client_at(ERIN).post(f"/{poll.slug}/answer/", answer_data(poll, "Erin")), retry_after=600
    )


def test_edits_through_the_edit_link_count_as_answers(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    mallory = client_at(MALLORY)
    response = mallory.post(f"/{poll.slug}/answer/", answer_data(poll, "Mallory"))
    assert response.status_code == 302
    entry = Entry.objects.get(poll=poll)
    token = mallory.cookies["bitpoll_entry"].value.partition(".")[2]
    edit = f"/{poll.slug}/entry/{entry.pk}/{token}/"
    assert mallory.post(edit, answer_data(poll, "Mallory 1")).status_code == 302
    assert mallory.post(edit, answer_data(poll, "Mallory 2")).status_code == 302
    assert_limited(mallory.post(edit, answer_data(poll, "Mallory 3")))
    entry.refresh_from_db()
    assert entry.name == "Mallory 2"


def test_an_ipv6_client_is_its_whole_64_network(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    for i in range(3):
        assert _answer(f"2001:db8:1:2::{i + 1:x}", poll, f"Bot {i}") == 302
    assert _answer("2001:db8:1:2:ffff::1", poll, "Bot 4") == 429
    assert _answer("2001:db8:1:3::1", poll, "Neighbour") == 302
