"""How results are presented: participants by time or by name; or only the totals."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bitpoll.polls.models import Poll

from .conftest import World, answer_as

pytestmark = pytest.mark.django_db


def _row_names(html: str) -> list[str]:
    body = html.split('<table class="grid"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<th scope=row>([^<]+)", body)


def _settings(world: World, **changes: object) -> None:
    Poll.objects.filter(pk=world.poll.pk).update(**changes)
    world.poll.refresh_from_db()
    world.poll.touch()


def test_it_lists_participants_in_the_order_they_answered_by_default(world: World) -> None:
    answer_as(world.poll, "alex", [0, 0])
    html = world.dave.client.get(world.public).content.decode()
    assert _row_names(html) == ["Bob", "Carol", "alex"]


def test_it_lists_participants_by_name_when_asked(world: World) -> None:
    answer_as(world.poll, "alex", [0, 0])
    answer_as(world.poll, "Ábel", [2, 2])
    _settings(world, participant_order="name")
    html = world.dave.client.get(world.public).content.decode()
    assert _row_names(html) == ["alex", "Bob", "Carol", "Ábel"]


def test_it_shows_only_the_totals_to_everyone_but_the_admin(world: World) -> None:
    _settings(world, summary_only=True)
    html = world.dave.client.get(world.public).content.decode()
    assert _row_names(html) == []
    assert "Only the totals are shown, not who answered what." in html
    # The totals are there: Bob said Yes to the first option, Carol If need be.
    counts = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert re.search(r"Yes<td>1<td>0", counts) and re.search(r"If need be<td>1<td>1", counts)
    # As a word: the form's random CSRF token may hold the letters "Bob".
    assert not re.search(r"\bBob\b", html.split('id="results"', 1)[1].split('id="comments"', 1)[0])
    text = world.dave.client.get(f"{world.public}results/").content.decode()
    listed = text.split('id="results-list"', 1)[1]
    assert "Bob" not in listed and "Carol" not in listed
    assert "<strong>Yes</strong> (1)</li>" in listed
    admin = world.alice.client.get(world.admin).content.decode()
    assert _row_names(admin) == ["Bob", "Carol"]


def test_it_saves_the_modes_in_the_settings(world: World) -> None:
    data = {
        "title": "Team lunch",
        "time_zone": "Europe/Berlin",
        "results_visibility": "always",
        "participant_order": "name",
        "summary_only": "on",
        "allow_comments": "on",
    }
    response = world.alice.client.post(world.admin + "edit/", data)
    assert response.status_code == 302
    poll = Poll.objects.get(pk=world.poll.pk)
    assert poll.participant_order == "name" and poll.summary_only
    html = world.alice.client.get(world.admin + "edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="summary_only"[^>]* checked', html)


def test_it_creates_a_poll_with_the_modes(client: Client) -> None:
    response = client.post(
        "/new/",
        {
            "title": "Quiet poll",
            "kind": "text",
            "options": "A\nB",
            "time_zone": "UTC",
            "scale": "default",
            "results_visibility": "always",
            "participant_order": "name",
            "summary_only": "on",
        },
    )
    assert response.status_code == 302
    poll = Poll.objects.get(title="Quiet poll")
    assert poll.participant_order == "name" and poll.summary_only
