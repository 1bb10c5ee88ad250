"""Closing and reopening: /<slug>/admin/<secret>/close/ and reopen/."""

from __future__ import annotations

import datetime as dt

import pytest

from bitpoll.polls.models import Poll

from .conftest import World

pytestmark = pytest.mark.django_db


def test_it_closes_and_reopens(world: World) -> None:
    response = world.alice.client.post(world.admin + "close/")
    assert response.status_code == 302
    assert Poll.objects.get(pk=world.poll.pk).is_closed
    assert b"Closed" in world.dave.client.get(world.public).content
    world.alice.client.post(world.admin + "reopen/")
    assert not Poll.objects.get(pk=world.poll.pk).is_closed


def test_it_warns_when_reopening_after_the_deadline(world: World) -> None:
    Poll.objects.filter(pk=world.poll.pk).update(
        is_closed=True, deadline=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    response = world.alice.client.post(world.admin + "reopen/", follow=True)
    assert b"its deadline has passed" in response.content
