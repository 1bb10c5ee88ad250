"""Each answer's stored folded votes (bitpoll.polls.fold) stay right on every path that writes
votes, and the poll page reads them only when their key is the poll's."""

from __future__ import annotations

import importlib
import zoneinfo
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bitpoll.polls import fold, page, results, services, sql
from bitpoll.polls.models import Entry, Option, Poll, Vote
from bitpoll.polls.options import parse_lines

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def make(lines: str = "2030-05-04\n2030-05-05\n2030-05-06") -> Poll:
    poll, _ = services.create_poll(
        title="Fold",
        description="",
        kind="date",
        time_zone="Europe/Berlin",
        options=parse_lines("date", lines, BERLIN),
    )
    return poll


def answer(poll: Poll, name: str, pick: int, comment: str = "") -> Entry:
    choices = list(poll.choices.all())
    entry, _ = services.add_entry(
        poll,
        name,
        {
            o.pk: services.Answer(choices[(pick + i) % len(choices)].pk, comment if i == 1 else "")
            for i, o in enumerate(poll.options.filter(is_deleted=False))
        },
    )
    return entry


def should_be(entry: Entry) -> str:
    """The stored string as the ORM's rows say it should be, worked out here independently."""
    option_ids = list(Option.objects.filter(poll=entry.poll_id).values_list("pk", flat=True))
    choice_ids = list(entry.poll.choices.values_list("pk", flat=True))
    option_base, choice_base = page._foldable(option_ids), page._foldable_choices(choice_ids)
    assert option_base is not None and choice_base is not None
    votes = sorted(Vote.objects.filter(entry=entry).values_list("option_id", "choice_id"))
    pairs = "".join(chr(o - option_base) + chr(c - choice_base) for o, c in votes)
    return f"{option_base},{choice_base}:{pairs}"


def stored(poll: Poll) -> dict[int, str]:
    return dict(Entry.objects.filter(poll=poll).values_list("pk", "folded"))


def assert_fresh(poll: Poll) -> None:
    assert stored(poll) == {e.pk: should_be(e) for e in Entry.objects.filter(poll=poll)}


def read(poll: Poll) -> list[tuple[int, str]]:
    return [
        (r.entry_id, r.answers) for r in page.load(Poll.objects.get(pk=poll.pk), None).grid.rows
    ]


def by_orm(poll: Poll) -> list[tuple[int, str]]:
    options = list(poll.options.filter(is_deleted=False))
    column = {o.pk: i for i, o in enumerate(options)}
    index = {c.pk: i for i, c in enumerate(poll.choices.all())}
    out = []
    for entry in poll.entries.all():
        cells = [results.UNANSWERED] * len(options)
        for vote in Vote.objects.filter(entry=entry):
            if vote.option_id in column:
                cells[column[vote.option_id]] = results.answer_char(index[vote.choice_id])
        out.append((entry.pk, "".join(cells)))
    return out


def test_the_triggers_are_there_after_every_migration() -> None:
    # A later migration that rebuilds polls_vote on SQLite (Django copies the table and
    # drops the old one) would drop them silently: create them again in it.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {"polls_vote_unfold_insert", "polls_vote_unfold_update"}
            expected.add("polls_vote_unfold_delete")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"polls_vote_unfold", "polls_vote_unfold_insert"}
        assert expected <= {row[0] for row in cursor.fetchall()}


def test_a_new_answer_is_stored_folded() -> None:
    poll = make()
    answer(poll, "Bob", 0, "late")
    answer(poll, "Carol", 1)
    services.add_entry(poll, "Empty", {})
    assert_fresh(poll)
    assert all(stored(poll).values())
    assert read(poll) == by_orm(poll)


def test_editing_an_answer_folds_it_again() -> None:
    poll = make()
    bob = answer(poll, "Bob", 0)
    carol = answer(poll, "Carol", 1)
    first, second, _third = poll.options.all()
    yes, maybe, _no = poll.choices.all()
    entry = Entry.objects.get(pk=bob.pk)
    # One answer changed, one dropped, one kept.
    services.update_entry(
        entry, "Bob", {first.pk: services.Answer(maybe.pk), second.pk: services.Answer(yes.pk)}
    )
    assert_fresh(poll)
    # A comment alone changes no answer but still folds again (the trigger emptied it).
    entry = Entry.objects.get(pk=carol.pk)
    answers = {v.option_id: services.Answer(v.choice_id) for v in entry.votes.all()}
    answers[first.pk] = services.Answer(answers[first.pk].choice_id, "a note")
    services.update_entry(entry, "Carol", answers)
    assert_fresh(poll)
    assert read(poll) == by_orm(poll)


def test_options_and_scales_that_change_keep_the_page_right() -> None:
    poll = make()
    answer(poll, "Bob", 0)
    services.add_options(poll, parse_lines("date", "2030-05-01", BERLIN))
    answer(Poll.objects.get(pk=poll.pk), "Carol", 1)
    services.set_option_deleted(poll.options.get(date="2030-05-05"), True)
    assert_fresh(poll)
    assert read(poll) == by_orm(poll)
    # A scale with another choice: the bases can move; set_scale folds every answer again.
    keep = {
        c.pk: services.ChoiceData(c.label, c.colour, c.icon, c.weight) for c in poll.choices.all()
    }
    services.set_scale(poll, keep, [services.ChoiceData("Later", "b", "q", 0)])
    assert_fresh(poll)
    assert read(poll) == by_orm(poll)


@pytest.mark.parametrize("change", ["update", "delete", "insert", "cascade"])
def test_any_other_write_to_votes_empties_the_string(change: str) -> None:
    """The Django admin, cascades, raw SQL: the triggers empty the answer's string, and the
    page folds that answer's votes itself."""
    poll = make()
    bob = answer(poll, "Bob", 0)
    carol = answer(poll, "Carol", 1)
    first = poll.options.first()
    assert first is not None
    no = poll.choices.last()
    votes = Vote.objects.filter(entry=bob)
    if change == "update":
        votes.filter(option=first).update(choice=no)
    elif change == "delete":
        votes.filter(option=first).delete()
    elif change == "insert":
        option = Option.objects.create(poll=poll, date="2030-06-01", order=9)
        sql.insert_votes(bob.pk, [(option.pk, no.pk, "")])  # type: ignore[union-attr]
    else:
        Option.objects.filter(pk=first.pk).delete()  # the Django admin's option inline
    folded = stored(poll)
    assert folded[bob.pk] == ""
    assert folded[carol.pk] != "" or change == "cascade"
    assert read(poll) == by_orm(poll)
    assert fold.refold(poll_ids=[poll.pk]) >= 1
    assert_fresh(poll)


def test_votes_of_several_answers_inserted_at_once_empty_each_string() -> None:
    """One INSERT of votes for two answers: on PostgreSQL the trigger runs once for the whole
    statement (migration 0014), and must empty both."""
    poll = make()
    bob = answer(poll, "Bob", 0)
    carol = answer(poll, "Carol", 1)
    dave = answer(poll, "Dave", 2)
    option = Option.objects.create(poll=poll, date="2030-06-01", order=9)
    no = poll.choices.last()
    assert no is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO polls_vote (entry_id, option_id, choice_id, comment) "
            "VALUES (%s, %s, %s, ''), (%s, %s, %s, '')",
            [bob.pk, option.pk, no.pk, carol.pk, option.pk, no.pk],
        )
    folded = stored(poll)
    assert folded[bob.pk] == "" and folded[carol.pk] == ""
    assert folded[dave.pk] != ""
    assert read(poll) == by_orm(poll)


def test_the_page_reads_the_stored_string_only_under_the_polls_key() -> None:
    poll = make()
    bob = answer(poll, "Bob", 0)
    truth = read(poll)
    option_base, choice_base = should_be(bob).split(":")[0].split(",")
    choice_base_int = int(choice_base)
    first_choice = min(poll.choices.values_list("pk", flat=True))
    # Written behind the triggers' back (they watch the votes): every answer the first choice.
    votes = sorted(Vote.objects.filter(entry=bob).values_list("option_id", flat=True))
    forged = "".join(chr(o - int(option_base)) + chr(first_choice - choice_base_int) for o in votes)
    Entry.objects.filter(pk=bob.pk).update(folded=f"{option_base},{choice_base}:{forged}")
    assert read(poll) == [(bob.pk, results.answer_char(0) * 3)] != truth
    # Under another key the string is not used: the page folds the votes itself.
    Entry.objects.filter(pk=bob.pk).update(folded=f"{option_base},{choice_base_int + 1}:{forged}")
    assert read(poll) == truth


def test_the_migration_fills_existing_answers() -> None:
    poll = make()
    answer(poll, "Bob", 0, "late")
    answer(poll, "Carol", 2)
    Entry.objects.update(folded="")
    migration = importlib.import_module("bitpoll.polls.migrations.0012_entry_folded")
    migration.fill(None, SimpleNamespace(connection=connection))
    assert_fresh(poll)


def test_answers_of_polls_whose_ids_do_not_fit_stay_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    poll = make()
    answer(poll, "Bob", 0)
    monkeypatch.setattr(page, "_CHAR_CEILING", page._CHAR_FLOOR + 1)
    answer(poll, "Carol", 1)
    assert fold.refold(poll_ids=[poll.pk]) == 1  # Bob's emptied; Carol's never stored
    assert set(stored(poll).values()) == {""}
    assert read(poll) == by_orm(poll)


def test_an_answer_through_the_page_is_stored_folded_without_another_read() -> None:
    poll = make()
    options = list(poll.options.all())
    choices = list(poll.choices.all())
    data = {"name": "Dora", **{f"o{o.pk}": str(choices[i % 3].pk) for i, o in enumerate(options)}}
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(f"/{poll.slug}/answer/", data)
    assert response.status_code == 302
    # The id ranges come with the answer sheet's statement, not in a read of their own.
    assert sum("MIN(" in q["sql"] for q in queries.captured_queries) == 1
    assert_fresh(poll)
    assert read(poll) == by_orm(poll)


def test_ranges_read_before_a_scale_change_leave_the_string_unused_not_wrong() -> None:
    poll = make()
    _options, _choices, spans = sql.answer_sheet_and_spans(poll.pk)
    keep = {
        c.pk: services.ChoiceData(c.label, c.colour, c.icon, c.weight)
        for c in list(poll.choices.all())[1:]
    }
    services.set_scale(poll, keep, [services.ChoiceData("Later", "b", "q", 0)])
    choices = list(poll.choices.all())
    answers = {o.pk: services.Answer(choices[0].pk) for o in poll.options.all()}
    entry, _ = services.add_entry(poll, "Erin", answers, spans=spans)
    assert stored(poll)[entry.pk] != should_be(entry)  # made with the old bases
    assert read(poll) == by_orm(poll)
