"""Comments: POST /<slug>/comment/ and /<slug>/comment/<id>/delete/."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.polls import access
from bitpoll.polls.models import Comment, Poll

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def test_it_ties_a_participants_comment_to_their_answer(world: World) -> None:
    response = world.bob.client.post(f"{world.public}comment/", {"author": "Bob", "text": "Pizza!"})
    assert response.status_code == 302
    comment = Comment.objects.get(text="Pizza!")
    assert comment.entry == world.bob.entry
    assert comment.edit_token_hash == world.bob.entry.edit_token_hash  # type: ignore[union-attr]


def test_it_gives_a_stranger_a_secret_to_delete_their_comment(world: World) -> None:
    dave = world.dave.client
    response = dave.post(f"{world.public}comment/", {"author": "Dave", "text": "Hi"})
    assert access.COMMENT_COOKIE in response.cookies
    comment = Comment.objects.get(author="Dave")
    assert comment.entry is None
    html = dave.get(world.public).content.decode()
    assert f'id="comment-delete-{comment.pk}"' in html
    assert dave.post(f"{world.public}comment/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_it_only_offers_delete_to_the_author(world: World) -> None:
    bob_comment = world.poll.comments.get(author="Bob")
    html = world.carol.client.get(world.public).content.decode()
    assert f'id="comment-delete-{bob_comment.pk}"' not in html
    assert (
        world.carol.client.post(f"{world.public}comment/{bob_comment.pk}/delete/").status_code
        == 404
    )
    assert Comment.objects.filter(pk=bob_comment.pk).exists()


def test_it_lets_the_admin_delete_any_comment(world: World) -> None:
    comment = world.poll.comments.get(author="Carol")
    assert world.alice.client.post(f"{world.admin}comment/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_it_rejects_an_empty_comment(world: World) -> None:
    response = world.dave.client.post(f"{world.public}comment/", {"author": "Dave", "text": "  "})
    assert response.status_code == 400
    assert not Comment.objects.filter(author="Dave").exists()


def test_it_rejects_an_oversized_comment(world: World) -> None:
    response = world.dave.client.post(
        f"{world.public}comment/", {"author": "Dave", "text": "x" * 2001}
    )
    assert response.status_code == 400


def test_it_refuses_comments_when_turned_off(db: None) -> None:
    poll: Poll = make_poll(allow_comments=False)[0]
    Client().post(f"/{poll.slug}/comment/", {"author": "Dave", "text": "Hi"})
    assert not Comment.objects.exists()
    assert b'id="comment-form"' not in Client().get(f"/{poll.slug}/").content


def test_it_escapes_comments(world: World) -> None:
    world.dave.client.post(
        f"{world.public}comment/", {"author": "<i>D</i>", "text": "<script>x</script>"}
    )
    html = world.dave.client.get(world.public).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_it_renders_comments_as_safe_markdown_with_marked_links(world: World) -> None:
    text = (
        "**Either** works, see https://example.org/plan_b.\n"
        "Second line with [the map](https://maps.example/x)\n\n"
        "<script>alert(1)</script> ![img](https://tracker.example/p.png) "
        "[bad](javascript:alert(1)) `https://not.a.link`"
    )
    response = world.dave.client.post(f"{world.public}comment/", {"author": "Dave", "text": text})
    assert response.status_code == 302
    html = world.carol.client.get(world.public).content.decode()
    assert "<strong>Either</strong>" in html
    assert (
        '<a href="https://example.org/plan_b" rel="nofollow ugc noopener">'
        "https://example.org/plan_b</a>." in html
    )
    assert '<a href="https://maps.example/x" rel="nofollow ugc noopener">the map</a>' in html
    assert "plan_b</a>.<br>" in html  # line breaks as typed
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img" not in html  # images would be requests to other sites
    assert 'href="javascript' not in html
    assert "<code>https://not.a.link</code>" in html
