"""The admin changes or deletes anyone's answer: /<slug>/admin/<secret>/entry/<id>/."""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Entry

from .conftest import World

pytestmark = pytest.mark.django_db


def test_it_edits_another_persons_answer(world: World) -> None:
    option = world.poll.options.first()
    no = world.poll.choices.get(label="No")
    path = f"{world.admin}entry/{world.carol.entry.pk}/"  # type: ignore[union-attr]
    response = world.alice.client.post(path, {"name": "Caroline", f"o{option.pk}": no.pk})  # type: ignore[union-attr]
    assert response.status_code == 302 and response["Location"] == world.admin
    assert Entry.objects.get(pk=world.carol.entry.pk).name == "Caroline"  # type: ignore[union-attr]


def test_it_edits_even_when_closed(world: World) -> None:
    world.poll.close()
    option = world.poll.options.first()
    path = f"{world.admin}entry/{world.carol.entry.pk}/"  # type: ignore[union-attr]
    world.alice.client.post(
        path, {"name": "Caroline", f"o{option.pk}": world.poll.choices.first().pk}
    )  # type: ignore[union-attr]
    assert Entry.objects.get(pk=world.carol.entry.pk).name == "Caroline"  # type: ignore[union-attr]


def test_it_deletes_an_answer(world: World) -> None:
    world.alice.client.post(f"{world.admin}entry/{world.carol.entry.pk}/delete/")  # type: ignore[union-attr]
    assert not Entry.objects.filter(pk=world.carol.entry.pk).exists()  # type: ignore[union-attr]


def test_it_answers_404_for_an_entry_of_another_poll(world: World) -> None:
    from .conftest import answer_as, make_poll

    other, _ = make_poll()
    erin = answer_as(other, "Erin", [0])
    assert world.alice.client.get(f"{world.admin}entry/{erin.entry.pk}/").status_code == 404  # type: ignore[union-attr]
