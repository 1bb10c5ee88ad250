"""The results as text: /<slug>/results/."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.polls.models import Poll

from .conftest import World, answer_as, make_poll

pytestmark = pytest.mark.django_db


def test_it_lists_who_answered_what_per_option(world: World) -> None:
    response = world.dave.client.get(f"{world.public}results/")
    assert response.status_code == 200
    html = response.content.decode()
    first = world.poll.options.first()
    assert first is not None
    summary = html[html.index(f'id="summary-{first.pk}"') :]
    assert "<strong>Yes</strong> (1): Bob" in summary
    assert "<strong>If need be</strong> (1): Carol" in summary
    assert "best" in summary[:600]


def test_it_is_linked_from_the_grid(world: World) -> None:
    assert b'id="results-as-text"' in world.dave.client.get(world.public).content


def test_it_follows_the_visibility_rules(db: None) -> None:
    poll, _ = make_poll(results_visibility=Poll.Visibility.ADMIN_ONLY)
    answer_as(poll, "Bob", [0, 0])
    html = Client().get(f"/{poll.slug}/results/").content.decode()
    assert "Bob" not in html and 'id="results-hidden"' in html


def test_it_hides_names(db: None) -> None:
    poll, _ = make_poll(hide_participant_names=True)
    answer_as(poll, "Bob", [0, 0])
    carol = answer_as(poll, "Carol", [0])
    html = carol.client.get(f"/{poll.slug}/results/").content.decode()
    assert "Bob" not in html and "Participant 1" in html and "Carol" in html
    assert "<strong>No answer</strong> (1): Carol" in html


def test_it_answers_404_for_an_unknown_poll(db: None) -> None:
    assert Client().get("/nope-nope/results/").status_code == 404
