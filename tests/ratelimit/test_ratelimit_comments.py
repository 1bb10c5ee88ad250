"""Comments are limited per client address and per poll."""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Comment, Poll

from .conftest import ERIN, MALLORY, assert_limited, client_at

pytestmark = pytest.mark.django_db


def _comment(address: str, poll: Poll, text: str) -> int:
    data = {"author": "Someone", "text": text}
    return client_at(address).post(f"/{poll.slug}/comment/", data).status_code


def test_it_refuses_a_flood_of_comments_from_one_client(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    for i in range(3):
        assert _comment(MALLORY, poll, f"spam {i}") == 302
    response = client_at(MALLORY).post(
        f"/{poll.slug}/comment/", {"author": "Bot", "text": "spam 3"}
    )
    assert_limited(response, retry_after=600)
    assert Comment.objects.filter(poll=poll).count() == 3


def test_another_client_still_comments_during_the_flood(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    for i in range(10):
        _comment(MALLORY, poll, f"spam {i}")
    assert _comment(ERIN, poll, "Curry, please") == 302
    assert Comment.objects.filter(poll=poll, text="Curry, please").exists()


def test_the_per_poll_limit_counts_every_client(
    small_limits: dict[str, object], poll_and_token: tuple[Poll, str]
) -> None:
    from bitpoll.conf import Rate

    small_limits["comments_per_poll"] = Rate(2, 3600)
    poll, _ = poll_and_token
    assert _comment("203.0.113.1", poll, "one") == 302
    assert _comment("203.0.113.2", poll, "two") == 302
    assert _comment(ERIN, poll, "three") == 429
