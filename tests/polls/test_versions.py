"""Every write that changes the poll page bumps Poll.version (the results cache key)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bitpoll.polls import services
from bitpoll.polls.models import Poll
from bitpoll.polls.options import ParsedOption

from .conftest import World

pytestmark = pytest.mark.django_db


def _choices(w: World) -> dict[int, services.ChoiceData]:
    return {
        c.pk: services.ChoiceData(c.label + "!", c.colour, c.icon, c.weight)
        for c in w.poll.choices.all()
    }


WRITES: dict[str, Callable[[World], object]] = {
    "add entry": lambda w: services.add_entry(w.poll, "Erin", {}),
    "update entry": lambda w: services.update_entry(w.bob.entry, "Rob", {}),  # type: ignore[arg-type]
    "delete entry": lambda w: services.delete_entry(w.bob.entry),  # type: ignore[arg-type]
    "add comment": lambda w: services.add_comment(w.poll, "E", "x", None, "h" * 64),
    "delete comment": lambda w: services.delete_comment(w.poll.comments.first()),  # type: ignore[arg-type]
    "settings": lambda w: services.update_poll(w.poll, {"hide_participant_names": True}),
    "add option": lambda w: services.add_options(w.poll, [ParsedOption(text="x")]),
    "remove option": lambda w: services.set_option_deleted(w.poll.options.first(), True),  # type: ignore[arg-type]
    "scale": lambda w: services.set_scale(w.poll, _choices(w), []),
    "close": lambda w: w.poll.close(),
    "reopen": lambda w: w.poll.reopen(),
}


@pytest.mark.parametrize("name", WRITES)
def test_it_bumps_the_version(world: World, name: str) -> None:
    before = Poll.objects.get(pk=world.poll.pk).version
    WRITES[name](world)
    assert Poll.objects.get(pk=world.poll.pk).version > before
