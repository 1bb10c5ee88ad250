"""Deleting a poll: /<slug>/admin/<secret>/delete/."""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Choice, Comment, Entry, Poll, Vote

from .conftest import World

pytestmark = pytest.mark.django_db


def test_it_asks_for_confirmation(world: World) -> None:
    response = world.alice.client.post(world.admin + "delete/", {})
    assert response.status_code == 400
    assert Poll.objects.filter(pk=world.poll.pk).exists()


def test_it_deletes_everything(world: World) -> None:
    response = world.alice.client.post(world.admin + "delete/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    for model in (Poll, Entry, Vote, Comment, Choice):
        assert model.objects.count() == 0
    assert world.dave.client.get(world.public).status_code == 404


def test_it_says_how_to_confirm_when_the_box_is_not_ticked(world: World) -> None:
    html = world.alice.client.post(world.admin + "delete/", {}).content.decode()
    assert "This field is required." not in html
    assert (
        "To delete the poll, tick “Yes, delete this poll” and press “Delete the poll” again."
        in html
    )
    assert "To keep it, press Cancel." in html
