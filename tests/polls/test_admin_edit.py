"""Editing title, description and settings: /<slug>/admin/<secret>/edit/."""

from __future__ import annotations

import datetime as dt

import pytest

from bitpoll.polls.models import Poll

from .conftest import World

pytestmark = pytest.mark.django_db


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Team dinner",
        "description": "At *eight*",
        "time_zone": "America/New_York",
        "deadline": "2030-04-01T12:00",
        "results_visibility": "after_answer",
        "hide_participant_names": "on",
    }
    data.update(overrides)
    return data


def test_it_shows_the_current_values(world: World) -> None:
    html = world.alice.client.get(world.admin + "edit/").content.decode()
    assert 'value="Team lunch"' in html and "Where *shall* we go?" in html


def test_it_saves_settings(world: World) -> None:
    before = world.poll.version
    response = world.alice.client.post(world.admin + "edit/", _data())
    assert response.status_code == 302
    poll = Poll.objects.get(pk=world.poll.pk)
    assert poll.title == "Team dinner" and "<em>eight</em>" in poll.description_html
    assert poll.deadline == dt.datetime(2030, 4, 1, 16, 0, tzinfo=dt.UTC)
    assert poll.results_visibility == "after_answer" and poll.hide_participant_names
    assert not poll.allow_comments
    assert poll.version > before


def test_it_rejects_bad_input(world: World) -> None:
    response = world.alice.client.post(world.admin + "edit/", _data(title="", time_zone="Nowhere"))
    assert response.status_code == 400
    assert Poll.objects.get(pk=world.poll.pk).title == "Team lunch"


def test_it_rejects_a_deadline_that_does_not_exist(world: World) -> None:
    # Europe/Berlin skips 02:00-03:00 on the last Sunday of March.
    response = world.alice.client.post(
        world.admin + "edit/", _data(time_zone="Europe/Berlin", deadline="2030-03-31T02:30")
    )
    assert response.status_code == 400
