"""Comment spam: a honeypot field that only robots fill in (rate limits: tests/ratelimit)."""

from __future__ import annotations

import re

import pytest

from bitpoll.polls.models import Comment

from .conftest import World

pytestmark = pytest.mark.django_db


def test_it_hides_the_honeypot_from_people_screen_readers_and_the_tab_key(world: World) -> None:
    html = world.dave.client.get(world.public).content.decode()
    wrapper = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', html, re.S)
    assert wrapper is not None
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", wrapper.group(1))
    assert field is not None
    assert 'tabindex="-1"' in field.group(0)
    assert 'autocomplete="off"' in field.group(0)
    assert "required" not in field.group(0)
    # Kept out of sight by the stylesheet, not by an inline style the CSP would block.
    # The page links the stylesheet by its hashed name (only those are served).
    linked = re.search(r'href="(/static/bitpoll/css/polls[^"]*\.css)"', html)
    assert linked is not None
    css = world.dave.client.get(linked.group(1))
    text = b"".join(css.streaming_content) if css.streaming else css.content  # type: ignore[attr-defined]
    assert b".honeypot { display: none; }" in text


def test_it_drops_a_comment_with_the_honeypot_filled_in(world: World) -> None:
    before = Comment.objects.count()
    response = world.dave.client.post(
        f"{world.public}comment/",
        {"author": "Buy now", "text": "Cheap pills", "website": "http://spam.example"},
        follow=True,
    )
    assert response.redirect_chain[-1][1] == 302
    # A robot is told what a person would be told; nothing is stored.
    assert b"Your comment is posted." in response.content
    assert Comment.objects.count() == before
    assert b"Cheap pills" not in response.content


def test_it_keeps_a_comment_with_the_honeypot_empty(world: World) -> None:
    response = world.dave.client.post(
        f"{world.public}comment/", {"author": "Dave", "text": "Pizza", "website": ""}
    )
    assert response.status_code == 302
    assert Comment.objects.filter(author="Dave", text="Pizza").exists()
