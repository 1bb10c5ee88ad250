"""The answer scale: /<slug>/admin/<secret>/scale/."""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Choice

from .conftest import World

pytestmark = pytest.mark.django_db


def _data(world: World, rows: list[dict[str, object]]) -> dict[str, object]:
    existing = list(world.poll.choices.all())
    data: dict[str, object] = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(existing)),
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


def _current(world: World) -> list[dict[str, object]]:
    return [
        {"id": c.pk, "label": c.label, "colour": c.colour, "icon": c.icon, "weight": str(c.weight)}
        for c in world.poll.choices.all()
    ]


def test_it_shows_the_scale(world: World) -> None:
    html = world.alice.client.get(world.admin + "scale/").content.decode()
    assert 'value="If need be"' in html


def test_it_renames_and_adds_choices(world: World) -> None:
    rows = _current(world)
    rows[1]["label"] = "Perhaps"
    rows.append({"label": "Remote only", "colour": "b", "icon": "s", "weight": "0.25"})
    response = world.alice.client.post(world.admin + "scale/", _data(world, rows))
    assert response.status_code == 302
    labels = [c.label for c in world.poll.choices.all()]
    assert labels == ["Yes", "Perhaps", "No", "Remote only"]
    html = world.dave.client.get(world.public).content.decode()
    assert '<span class="ico kb is" aria-hidden="true"></span>Remote only' in html


def test_it_refuses_to_remove_a_choice_in_use(world: World) -> None:
    rows = _current(world)
    rows[0]["remove"] = "on"
    response = world.alice.client.post(world.admin + "scale/", _data(world, rows))
    assert response.status_code == 400
    assert b"is used in answers" in response.content
    assert world.poll.choices.count() == 3


def test_it_removes_an_unused_choice(world: World) -> None:
    world.poll.entries.all().delete()
    rows = _current(world)
    rows[1]["remove"] = "on"
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 302
    assert [c.label for c in world.poll.choices.all()] == ["Yes", "No"]


@pytest.mark.parametrize("weight", ["1.5", "-0.1", "abc"])
def test_it_rejects_weights_outside_0_to_1(world: World, weight: str) -> None:
    rows = _current(world)
    rows[0]["weight"] = weight
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 400


def test_it_needs_two_choices(world: World) -> None:
    world.poll.entries.all().delete()
    rows = _current(world)
    rows[1]["remove"] = rows[2]["remove"] = "on"
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 400


def test_it_refuses_a_choice_id_of_another_poll(world: World) -> None:
    from .conftest import make_poll

    other, _ = make_poll()
    rows = _current(world)
    rows[0]["id"] = other.choices.first().pk  # type: ignore[union-attr]
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 400
    assert Choice.objects.filter(poll=other).count() == 3


def test_it_refuses_two_answers_that_look_alike(world: World) -> None:
    rows = _current(world)
    rows.append({"label": "Yes!", "colour": "g", "icon": "y", "weight": "1"})
    response = world.alice.client.post(world.admin + "scale/", _data(world, rows))
    assert response.status_code == 400
    assert b"its own combination of colour and icon" in response.content
