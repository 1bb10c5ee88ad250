"""Renders that the page cache cannot answer count against the client: /results/, invalid answers shown with the whole page, the admin page, exports."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.polls.models import Poll

from .conftest import ERIN, MALLORY, assert_limited, client_at

pytestmark = pytest.mark.django_db


def _flood(client: Client, path: str, times: int = 3) -> None:
    for _ in range(times):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("page", ["results/", "admin/{token}/", "admin/{token}/export.csv"])
def test_it_refuses_a_flood_of_expensive_pages(
    small_limits: object, poll_and_token: tuple[Poll, str], page: str
) -> None:
    poll, token = poll_and_token
    path = f"/{poll.slug}/{page.format(token=token)}"
    mallory = client_at(MALLORY)
    _flood(mallory, path)
    assert_limited(mallory.get(path), retry_after=600)
    assert client_at(ERIN).get(path).status_code == 200


def test_cookies_do_not_make_the_poll_page_a_limited_render(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    """A comment or entry cookie (here made-up ones) gets the shared page with the visitor's
    own parts put in, not a render of its own: nothing for a limit to count."""
    poll, _ = poll_and_token
    mallory = client_at(MALLORY)
    mallory.cookies["bitpoll_comment"] = "x" * 20
    mallory.cookies["bitpoll_entry"] = "1." + "y" * 20
    for _ in range(10):
        assert mallory.get(f"/{poll.slug}/?n=1").status_code == 200


def test_it_limits_invalid_answers_shown_with_the_whole_page(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    mallory = client_at(MALLORY)
    for _ in range(3):
        assert mallory.post(f"/{poll.slug}/answer/", {"name": "x"}).status_code == 400
    assert_limited(mallory.post(f"/{poll.slug}/answer/", {"name": "x"}))


def test_the_shared_cached_page_is_not_limited(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, _ = poll_and_token
    stranger = client_at(MALLORY)
    stranger.get(f"/{poll.slug}/")  # renders once into the cache (counted)
    for _ in range(10):
        assert stranger.get(f"/{poll.slug}/").status_code == 200
