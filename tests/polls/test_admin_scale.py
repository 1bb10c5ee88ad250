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


def test_it_shows_the_default_answers_in_the_visitors_language(world: World) -> None:
    html = world.dave.client.get(world.public, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "</span>Ja</li>" in html and "</span>Wenn nötig</li>" in html
    assert "If need be" not in html
    # A poll created by a German visitor stores German labels; English visitors read English.
    Choice.objects.filter(poll=world.poll, label="If need be").update(label="Wenn nötig")
    world.poll.touch()
    html = world.dave.client.get(world.public, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "If need be" in html and "Wenn nötig" not in html


def test_it_keeps_custom_labels_as_written(world: World) -> None:
    rows = _current(world)
    rows[1]["label"] = "Vielleicht"
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 302
    html = world.dave.client.get(world.public, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Vielleicht" in html


def test_it_moves_an_answer_to_the_position_given(world: World) -> None:
    rows = _current(world)
    rows.append({"label": "Meh", "colour": "b", "icon": "q", "weight": "0.3", "position": "3"})
    for position, row in enumerate(rows[:3], start=1):
        row["position"] = str(position)
    response = world.alice.client.post(world.admin + "scale/", _data(world, rows))
    assert response.status_code == 302
    assert [c.label for c in world.poll.choices.all()] == ["Yes", "If need be", "Meh", "No"]
    # Swapping two numbers moves both.
    rows = _current(world)
    rows[0]["position"], rows[1]["position"] = "2", "1"
    rows[2]["position"], rows[3]["position"] = "3", "4"
    assert world.alice.client.post(world.admin + "scale/", _data(world, rows)).status_code == 302
    assert [c.label for c in world.poll.choices.all()] == ["If need be", "Yes", "Meh", "No"]


def test_it_shows_no_blank_rows_and_plain_weights(world: World) -> None:
    html = world.alice.client.get(world.admin + "scale/").content.decode()
    assert html.count('class="card scale-row"') == 3
    assert 'name="form-0-weight" value="1"' in html
    assert 'name="form-1-weight" value="0.5"' in html
    assert "1.000" not in html and "0.500" not in html
    assert 'name="form-2-position" value="3"' in html
    assert 'id="scale-add-row"' in html


def test_it_adds_an_empty_row_on_request_and_saves_nothing(world: World) -> None:
    rows = _current(world)
    rows[0]["label"] = "Sure"
    data = _data(world, rows)
    data["add_row"] = "1"
    response = world.alice.client.post(world.admin + "scale/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card scale-row"') == 4
    assert 'value="Sure"' in html  # what was typed stays
    assert [c.label for c in world.poll.choices.all()] == ["Yes", "If need be", "No"]
