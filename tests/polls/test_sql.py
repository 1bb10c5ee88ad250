"""The hand-written statements of the answer path read and write what the ORM would."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitpoll.core import prepared
from bitpoll.polls import fold, services, sql
from bitpoll.polls.models import Entry, Option, Poll, Vote
from bitpoll.polls.options import parse_lines

from .conftest import World, future, make_poll

pytestmark = pytest.mark.django_db


def _values(obj: object, exclude: set[str]) -> dict[str, object]:
    fields = type(obj)._meta.concrete_fields  # type: ignore[attr-defined]
    return {f.attname: getattr(obj, f.attname) for f in fields if f.attname not in exclude}


def test_the_inserts_fill_every_field_of_their_models() -> None:
    # A field added to Entry or Vote must be added to these statements too.
    for model, filled in ((Entry, sql.ENTRY_FIELDS), (Vote, sql.VOTE_FIELDS)):
        expected = {f.name for f in model._meta.concrete_fields if not f.primary_key}
        assert set(filled) == expected, model.__name__


def test_the_postgresql_answer_function_fills_the_same_columns() -> None:
    # bitpoll_answer() names its columns as they were at its migration: a field added to
    # Entry or Vote needs a migration that replaces the function (and this test reading it).
    migration = importlib.import_module("bitpoll.polls.migrations.0014_answer_votes_first")
    for model, filled in ((Entry, sql.ENTRY_FIELDS), (Vote, sql.VOTE_FIELDS)):
        found = re.search(rf"INSERT INTO {model._meta.db_table} \(([^)]*)\)", migration.CREATE)
        assert found, model.__name__
        columns = [c.strip() for c in found.group(1).split(",")]
        if model is Entry:  # its id taken from the sequence first, for its votes
            assert columns[0] == "id"
            columns = columns[1:]
        assert columns == [c.strip('"') for c in sql._columns(model, *filled)]


def test_an_answer_is_stored_as_the_orm_would_store_it(world: World) -> None:
    poll = world.poll
    first, second = poll.options.all()
    yes, maybe, _no = poll.choices.all()
    now = timezone.now()
    answers = {first.pk: services.Answer(yes.pk, "after 2pm"), second.pk: services.Answer(maybe.pk)}
    entry, _token = services.add_entry(poll, "Erin", answers)

    stored = Entry.objects.get(pk=entry.pk)
    by_orm = Entry.objects.create(
        poll=poll,
        name="Erin",
        edit_token_hash=stored.edit_token_hash,
        created=stored.created,
        updated=stored.updated,
    )
    by_orm.refresh_from_db()
    # The votes folded for reading pages come after them (fold.store): compared below.
    assert _values(stored, {"id", "folded"}) == _values(by_orm, {"id", "folded"})
    assert _values(entry, {"id", "folded"}) == _values(stored, {"id", "folded"})
    assert stored.folded and fold.refold(entry_ids=[stored.pk]) == 0  # already as refolded
    assert stored.created.tzinfo is not None and abs(stored.created - now) < dt.timedelta(minutes=1)
    votes = [_values(v, {"id", "entry_id"}) for v in stored.votes.order_by("option__order")]
    assert votes == [
        {"option_id": first.pk, "choice_id": yes.pk, "comment": "after 2pm"},
        {"option_id": second.pk, "choice_id": maybe.pk, "comment": ""},
    ]


def test_storing_an_answer_takes_four_statements_on_sqlite_and_one_on_postgresql(
    world: World,
) -> None:
    first = world.poll.options.first()
    yes = world.poll.choices.first()
    assert first is not None and yes is not None
    with CaptureQueriesContext(connection) as queries:
        services.add_entry(world.poll, "Erin", {first.pk: services.Answer(yes.pk)})
    if connection.vendor == "postgresql":
        # One call (a round trip) writes the entry, its votes, the folded votes and the
        # poll's version; inside the test's transaction, within a savepoint. Before it the
        # poll's id ranges are read for the folded votes (the view passes them in).
        statements = [
            q["sql"]
            for q in queries.captured_queries
            if "SAVEPOINT" not in q["sql"] and not q["sql"].startswith("SELECT 'option'")
        ]
        assert len(statements) == 1 and statements[0].startswith("SELECT bitpoll_answer("), (
            statements
        )
        stored = Entry.objects.get(name="Erin")
        assert stored.folded and fold.refold(entry_ids=[stored.pk]) == 0
        return
    # Django logs BEGIN and, for executemany, "<n> times: <sql>"; only the writes count here.
    writes = [
        found.groups()
        for q in queries.captured_queries
        if (found := re.search(r'(INSERT INTO|UPDATE) "(\w+)"', q["sql"]))
    ]
    assert writes == [
        ("INSERT INTO", "polls_entry"),
        ("INSERT INTO", "polls_vote"),
        ("UPDATE", "polls_poll"),
        ("UPDATE", "polls_entry"),  # its votes folded (fold.store)
    ]


@pytest.mark.parametrize("comment", ['{a,"b"}\\ NULL', "NULL", "", "tab\tand 'quote' ü"])
def test_comments_arrive_as_typed(world: World, comment: str) -> None:
    # On PostgreSQL the votes travel as arrays: array syntax in a comment must stay text.
    poll = world.poll
    first, second = poll.options.all()
    yes = poll.choices.first()
    assert yes is not None
    answers = {first.pk: services.Answer(yes.pk, comment), second.pk: services.Answer(yes.pk)}
    entry, _token = services.add_entry(poll, "Quinn", answers)
    stored = dict(Vote.objects.filter(entry_id=entry.pk).values_list("option_id", "comment"))
    assert stored == {first.pk: comment, second.pk: ""}


# A read only: the db fixture need not be reset between examples.
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    texts=st.lists(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"))),
    numbers=st.lists(st.integers(-(2**63), 2**63 - 1)),
)
def test_the_array_literals_arrive_as_the_values_were(
    db: None, texts: list[str], numbers: list[int]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("array parameters are PostgreSQL's (BITPOLL_TEST_BACKEND=postgresql)")
    with prepared.cursor() as cursor:
        cursor.execute("SELECT %s::text[], %s::bigint[]", [sql._array(texts), sql._array(numbers)])
        assert cursor.fetchone() == (texts, numbers)


def test_an_answer_without_votes_stores_the_entry_and_bumps_the_version(world: World) -> None:
    poll = world.poll
    before = Poll.objects.get(pk=poll.pk).version
    entry, _token = services.add_entry(poll, "Nobody", {})
    assert Entry.objects.filter(pk=entry.pk).exists()
    assert not Vote.objects.filter(entry_id=entry.pk).exists()
    assert Poll.objects.get(pk=poll.pk).version == before + 1 == poll.version


def test_it_reads_the_poll_as_the_orm_does(db: None) -> None:
    poll, _ = make_poll(
        deadline=future(3), one_answer_per_name=True, allow_anonymous=True, require_name=False
    )
    fetched = sql.get_poll(poll.slug)
    assert fetched is not None
    orm = Poll.objects.get(pk=poll.pk)
    for name in sql.POLL_FIELDS:
        assert getattr(fetched, name) == getattr(orm, name), name
    assert fetched.deadline is not None and fetched.deadline.tzinfo is not None
    assert fetched.is_open and fetched.name_required is False
    # The other columns are deferred: loaded on access, not missing.
    assert fetched.title == "Team lunch"
    assert sql.get_poll("no-such-poll") is None


def test_the_poll_is_built_as_model_from_db_builds_it(db: None) -> None:
    poll, _ = make_poll(deadline=future(3))
    fetched = sql.get_poll(poll.slug)
    assert fetched is not None
    with connection.cursor() as cursor:
        cursor.execute(sql._statements()["poll"], [poll.slug])
        row = cursor.fetchone()
    converted = [
        functools.reduce(lambda v, convert: convert(v, column, connection), converters, value)
        for value, (column, converters) in zip(
            row, prepared._converters(Poll, sql.POLL_FIELDS, connection.alias), strict=True
        )
    ]
    built = Poll.from_db(connection.alias, sql.POLL_FIELDS, converted)

    def state(p: Poll) -> dict[str, object]:
        return {k: v for k, v in vars(p).items() if k != "_state"}

    assert state(fetched) == state(built)
    assert (fetched._state.adding, fetched._state.db) == (built._state.adding, built._state.db)
    assert fetched.get_deferred_fields() == built.get_deferred_fields()
    assert fetched == built and fetched.pk == poll.pk
    # It saves like any loaded poll: only what changed, the deferred fields untouched.
    fetched.is_closed = True
    fetched.save(update_fields=["is_closed"])
    stored = Poll.objects.get(pk=poll.pk)
    assert stored.is_closed and stored.title == poll.title


def test_it_sees_a_passed_deadline(db: None) -> None:
    poll, _ = make_poll(deadline=timezone.now() - dt.timedelta(seconds=1))
    fetched = sql.get_poll(poll.slug)
    assert fetched is not None and not fetched.is_open


def test_the_answer_sheet_lists_visible_options_and_the_scale_in_order(world: World) -> None:
    poll = world.poll
    services.add_options(poll, parse_lines("date", "2030-05-01", poll.zone))
    hidden = Option.objects.get(poll=poll, date=dt.date(2030, 5, 5))
    services.set_option_deleted(hidden, True)
    option_ids, choice_ids = sql.answer_sheet(poll.pk)
    assert option_ids == list(poll.options.filter(is_deleted=False).values_list("pk", flat=True))
    assert hidden.pk not in option_ids and len(option_ids) == 2
    assert choice_ids == list(poll.choices.values_list("pk", flat=True))


def test_the_poll_and_its_sheet_in_one_read_it_as_the_two_reads_do(world: World) -> None:
    poll = world.poll
    services.add_options(poll, parse_lines("date", "2030-05-01", poll.zone))
    services.set_option_deleted(Option.objects.get(poll=poll, date=dt.date(2030, 5, 5)), True)
    fetched, option_ids, choice_ids, spans = sql.get_poll_and_sheet(poll.slug)
    alone = sql.get_poll(poll.slug)
    assert fetched is not None and alone is not None
    for name in sql.POLL_FIELDS:
        assert getattr(fetched, name) == getattr(alone, name), name
    assert (option_ids, choice_ids, spans) == sql.answer_sheet_and_spans(poll.pk)
    assert len(option_ids) == 2 and len(choice_ids) == 3
    # The option span counts the removed option too (what fold.store needs).
    all_ids = list(Option.objects.filter(poll=poll).values_list("pk", flat=True))
    assert spans == ((min(all_ids), max(all_ids)), (min(choice_ids), max(choice_ids)))
    assert sql.get_poll_and_sheet("no-such-poll") == (None, [], [], ((None, None), (None, None)))
    # Ties and a descending id order in the positions: ordered as the ORM orders them.
    Option.objects.filter(poll=poll).update(order=5)  # all tied: by id
    last = Option.objects.filter(poll=poll, is_deleted=False).order_by("pk").last()
    Option.objects.filter(pk=last.pk).update(order=1)  # type: ignore[union-attr]
    poll.choices.update(order=2)
    _, option_ids, choice_ids, _ = sql.get_poll_and_sheet(poll.slug)
    assert option_ids == list(
        poll.options.filter(is_deleted=False).order_by("order", "pk").values_list("pk", flat=True)
    )
    assert option_ids[0] == last.pk  # type: ignore[union-attr]
    assert choice_ids == sorted(choice_ids)


def test_touch_bumps_the_version_and_the_time(world: World) -> None:
    poll = world.poll
    before = Poll.objects.get(pk=poll.pk)
    poll.touch()
    after = Poll.objects.get(pk=poll.pk)
    assert after.version == before.version + 1 == poll.version
    assert after.updated > before.updated
    assert after.updated == poll.updated


def test_counting_answers(world: World) -> None:
    assert sql.count_entries(world.poll.pk) == 2


def test_select_reads_what_the_orm_reads_in_its_order(world: World) -> None:
    from bitpoll.polls.models import Choice, Comment

    poll = world.poll
    # Ties in the first ordering column are broken by the id, as the ORM's default order does.
    Option.objects.filter(poll=poll).update(order=0)
    Comment.objects.create(poll=poll, author="Ann", text="first")
    Comment.objects.create(poll=poll, author="Bea", text="second")
    for model in (Option, Choice, Comment, Entry):
        fast = prepared.select(model, poll_id=poll.pk)
        orm = list(model.objects.filter(poll_id=poll.pk))  # type: ignore[attr-defined]
        assert [o.pk for o in fast] == [o.pk for o in orm], model
        for a, b in zip(fast, orm, strict=True):
            for field in model._meta.concrete_fields:
                assert getattr(a, field.attname) == getattr(b, field.attname), field.name
            assert a._state.adding is False and a._state.db == b._state.db
    (whole,) = prepared.select(Poll, slug=poll.slug)
    orm_poll = Poll.objects.get(pk=poll.pk)
    assert {f.attname: getattr(whole, f.attname) for f in Poll._meta.concrete_fields} == {
        f.attname: getattr(orm_poll, f.attname) for f in Poll._meta.concrete_fields
    }
    assert prepared.select(Poll, slug="no-such-poll") == []
