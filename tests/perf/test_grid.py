"""page.load() reads the answers folded into one string per answer; every shape of poll must
come out as the plain per-vote reading would give it."""

from __future__ import annotations

import zoneinfo

import pytest

from bitpoll.polls import page, results, services
from bitpoll.polls.models import Poll, Vote
from bitpoll.polls.options import parse_lines

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def expected(poll: Poll) -> list[tuple[int, str, str, list[tuple[int, int, str]]]]:
    """The grid as the ORM reads it, vote by vote."""
    options = list(poll.options.filter(is_deleted=False))
    column = {o.pk: i for i, o in enumerate(options)}
    index = {c.pk: i for i, c in enumerate(poll.choices.all())}
    out = []
    for entry in poll.entries.all():
        cells = [results.UNANSWERED] * len(options)
        notes = []
        for vote in Vote.objects.filter(entry=entry):
            if vote.option_id in column:
                cells[column[vote.option_id]] = results.answer_char(index[vote.choice_id])
                if vote.comment:
                    notes.append((column[vote.option_id], vote.pk, vote.comment))
        out.append((entry.pk, entry.name, "".join(cells), sorted(notes)))
    return out


def loaded(poll: Poll) -> list[tuple[int, str, str, list[tuple[int, int, str]]]]:
    data = page.load(Poll.objects.get(pk=poll.pk), None)
    return [
        (r.entry_id, r.name, r.answers, sorted((n.column, n.vote_id, n.text) for n in r.notes))
        for r in data.grid.rows
    ]


def answer(poll: Poll, name: str, pick: int, comment: str = "") -> None:
    choices = list(poll.choices.all())
    services.add_entry(
        poll,
        name,
        {
            o.pk: services.Answer(choices[(pick + i) % len(choices)].pk, comment if i == 1 else "")
            for i, o in enumerate(poll.options.filter(is_deleted=False))
        },
    )


def make(lines: str) -> Poll:
    poll, _ = services.create_poll(
        title="Grid",
        description="",
        kind="date",
        time_zone="Europe/Berlin",
        options=parse_lines("date", lines, BERLIN),
    )
    return poll


def test_it_reads_a_full_grid_with_notes() -> None:
    poll = make("2030-05-04\n2030-05-05\n2030-05-06")
    answer(poll, "Bob", 0, "late")
    answer(poll, "Carol", 1)
    answer(poll, "", 2, "if it rains")
    assert loaded(poll) == expected(poll)
    assert loaded(poll)[0][3]


def test_it_places_answers_given_before_options_were_added_or_removed() -> None:
    poll = make("2030-05-04\n2030-05-06")
    answer(poll, "Bob", 0)
    # An earlier day added later: display order is no longer id order.
    services.add_options(poll, parse_lines("date", "2030-05-01", BERLIN))
    answer(Poll.objects.get(pk=poll.pk), "Carol", 1)
    assert next(o.date.day for o in poll.options.all()) == 1  # type: ignore[union-attr]
    assert loaded(poll) == expected(poll)
    services.set_option_deleted(poll.options.get(date="2030-05-06"), True)
    answer(Poll.objects.get(pk=poll.pk), "Dora", 2, "ok")
    assert loaded(poll) == expected(poll)


def test_it_reads_vote_by_vote_when_ids_do_not_fit_in_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poll = make("2030-05-04\n2030-05-05")
    answer(poll, "Bob", 0, "late")
    answer(poll, "Carol", 1)
    monkeypatch.setattr(page, "_CHAR_CEILING", page._CHAR_FLOOR + 1)
    assert loaded(poll) == expected(poll)


def test_it_shows_an_answer_without_votes() -> None:
    poll = make("2030-05-04")
    services.add_entry(poll, "Empty", {})
    assert loaded(poll) == expected(poll) == [(poll.entries.get().pk, "Empty", " ", [])]


def test_it_reads_choices_as_ascii_and_as_wider_characters_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poll = make("2030-05-04\n2030-05-05\n2030-05-06")
    answer(poll, "Bob", 0, "late")
    answer(poll, "Carol", 2)
    ids = [c.pk for c in poll.choices.all()]
    assert page._foldable_choices(ids) == min(ids) - page._ASCII_FLOOR  # a scale: ASCII
    assert loaded(poll) == expected(poll)
    # Choices too far apart for printable ASCII take the wider characters options use.
    monkeypatch.setattr(page, "_ASCII_CEILING", page._ASCII_FLOOR)
    assert page._foldable_choices(ids) == page._foldable(ids)
    assert loaded(poll) == expected(poll)
