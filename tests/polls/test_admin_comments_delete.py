"""Deleting several comments at once from the admin page: /<slug>/admin/<token>/comments/delete/."""

from __future__ import annotations

import pytest

from bitpoll.polls import services
from bitpoll.polls.models import Comment

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def _spam(world: World, count: int) -> list[int]:
    return [
        services.add_comment(world.poll, "Bot", f"spam {i}", None, "x" * 64).pk
        for i in range(count)
    ]


def test_it_offers_a_checkbox_per_comment_on_the_admin_page_only(world: World) -> None:
    comment = world.poll.comments.first()
    assert comment is not None
    admin = world.alice.client.get(world.admin).content.decode()
    assert f'id="comment-select-{comment.pk}"' in admin
    assert 'form="comments-bulk"' in admin and 'id="comments-bulk-delete"' in admin
    public = world.dave.client.get(world.public).content.decode()
    assert "comment-select-" not in public and "comments-bulk" not in public


def test_it_deletes_the_ticked_comments_and_says_how_many(world: World) -> None:
    spam = _spam(world, 3)
    version = world.poll.version
    response = world.alice.client.post(
        f"{world.admin}comments/delete/", {"comment": [str(pk) for pk in spam]}, follow=True
    )
    assert response.redirect_chain == [(f"{world.admin}#comments", 302)]
    assert b"3 comments deleted." in response.content
    assert not Comment.objects.filter(pk__in=spam).exists()
    assert world.poll.comments.count() == 2  # Bob's and Carol's stay
    world.poll.refresh_from_db()
    assert world.poll.version == version + 1


def test_it_asks_to_tick_something_first(world: World) -> None:
    response = world.alice.client.post(f"{world.admin}comments/delete/", {}, follow=True)
    assert b"Tick the comments to delete first." in response.content
    assert world.poll.comments.count() == 2


def test_it_ignores_comments_of_other_polls(world: World) -> None:
    other, _ = make_poll()
    theirs = services.add_comment(other, "Eve", "mine", None, "y" * 64)
    response = world.alice.client.post(
        f"{world.admin}comments/delete/", {"comment": [str(theirs.pk)]}, follow=True
    )
    assert b"0 comments deleted." in response.content
    assert Comment.objects.filter(pk=theirs.pk).exists()


def test_it_refuses_bad_ids(world: World) -> None:
    response = world.alice.client.post(
        f"{world.admin}comments/delete/", {"comment": ["1; DROP TABLE", "9" * 30]}, follow=True
    )
    assert response.status_code == 200
    assert b"Tick the comments to delete first." in response.content


def test_it_needs_a_post(world: World) -> None:
    assert world.alice.client.get(f"{world.admin}comments/delete/").status_code == 405


def test_it_is_404_without_the_admin_secret(world: World) -> None:
    comment = world.poll.comments.first()
    assert comment is not None
    response = world.dave.client.post(
        f"/{world.poll.slug}/admin/{'x' * 43}/comments/delete/", {"comment": [str(comment.pk)]}
    )
    assert response.status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()
