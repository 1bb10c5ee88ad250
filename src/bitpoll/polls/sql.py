"""Hand-written SQL for answering a poll, the one write that arrives in bursts.

When a link goes out, a whole department answers within minutes. Through the ORM an answer
cost about eight compiled queries, and compiling them took most of the request's time. These
statements do the same work with SQL built once per process from the models' metadata (table
and column names are never typed here), values always passed as parameters, and values read
back through the same converters the ORM applies.

The rows they write are the rows the ORM would write: `tests/polls/test_sql.py` compares them
field by field and fails when a model gains a field that these statements do not fill.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Field, Model
from django.db.transaction import atomic

from bitpoll.core import prepared
from bitpoll.polls.models import Choice, Entry, Option, Poll, Vote

# The poll's columns that answering and the page cache read; the rest stay deferred (loaded
# on access). Model.from_db wants them in the model's order, which is kept here.
POLL_FIELDS = tuple(
    f.attname
    for f in Poll._meta.concrete_fields
    if f.attname
    in {
        "id",
        "slug",
        "deadline",
        "is_closed",
        "one_answer_per_name",
        "require_name",
        "allow_anonymous",
        "version",
        "created",
        "results_visibility",
        "require_all_answers",
        # What access.may_answer() and access.manages() read (accounts).
        "answer_access",
        "one_answer_per_account",
        "edit_requires_account",
        "owner_id",
        "owner_group_id",
    }
)
# The fields each INSERT fills; the tests check that they are all of the model's fields.
ENTRY_FIELDS = (
    "poll", "name", "name_key", "edit_token_hash", "user", "account_key", "created", "updated",
    "email", "language", "folded",
)  # fmt: skip
VOTE_FIELDS = ("entry", "option", "choice", "comment")
# The SQLSTATE with which bitpoll_answer() refuses an answer that passes a rate limit.
LIMIT_PASSED = "BP429"


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[Model], *names: str) -> list[str]:
    return [connection.ops.quote_name(str(_field(model, n).column)) for n in names]


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


@functools.cache
def _statements() -> dict[str, str]:
    (poll_pk,) = _columns(Poll, "id")
    slug, version, updated = _columns(Poll, "slug", "version", "updated")
    option_poll, option_deleted, option_order, option_pk = _columns(
        Option, "poll", "is_deleted", "order", "id"
    )
    choice_poll, choice_order, choice_pk = _columns(Choice, "poll", "order", "id")
    entry_poll, entry_pk = _columns(Entry, "poll", "id")
    poll_columns = ", ".join(_columns(Poll, *POLL_FIELDS))
    entries, options, choices = _table(Entry), _table(Option), _table(Choice)
    # Identifiers come from the models; every value is a bound parameter.
    return {
        "poll": f"SELECT {poll_columns} FROM {_table(Poll)} WHERE {slug} = %s",  # noqa: S608
        # PostgreSQL: the poll and its answer sheet (see answer_sheet) in one round trip.
        "poll_sheet": (
            f"SELECT {', '.join('p.' + c for c in _columns(Poll, *POLL_FIELDS))}, "  # noqa: S608
            f"ARRAY(SELECT {option_pk} FROM {options} WHERE {option_poll} = p.{poll_pk} "
            f"AND {option_deleted} = %s ORDER BY {option_order}, {option_pk}), "
            f"ARRAY(SELECT {choice_pk} FROM {choices} WHERE {choice_poll} = p.{poll_pk} "
            f"ORDER BY {choice_order}, {choice_pk}), "
            # The lowest and highest id of all the options, removed ones too (fold.store).
            f"(SELECT MIN({option_pk}) FROM {options} WHERE {option_poll} = p.{poll_pk}), "
            f"(SELECT MAX({option_pk}) FROM {options} WHERE {option_poll} = p.{poll_pk}) "
            f"FROM {_table(Poll)} p WHERE p.{slug} = %s"
        ),
        # SQLite: the same in one statement, the ids as "order:id" lists, sorted in Python
        # (group_concat promises no order).
        "poll_sheet_sqlite": (
            f"SELECT {', '.join('p.' + c for c in _columns(Poll, *POLL_FIELDS))}, "  # noqa: S608
            f"(SELECT group_concat({option_order} || ':' || {option_pk}) FROM {options} "
            f"WHERE {option_poll} = p.{poll_pk} AND {option_deleted} = %s), "
            f"(SELECT group_concat({choice_order} || ':' || {choice_pk}) FROM {choices} "
            f"WHERE {choice_poll} = p.{poll_pk}), "
            f"(SELECT MIN({option_pk}) FROM {options} WHERE {option_poll} = p.{poll_pk}), "
            f"(SELECT MAX({option_pk}) FROM {options} WHERE {option_poll} = p.{poll_pk}) "
            f"FROM {_table(Poll)} p WHERE p.{slug} = %s"
        ),
        "count": f"SELECT COUNT(*) FROM {entries} WHERE {entry_poll} = %s",  # noqa: S608
        # What an answer may name: the visible options (kind 0) and the scale (kind 1).
        "sheet": (
            f"SELECT 0, {option_pk}, {option_order} FROM {options} "  # noqa: S608
            f"WHERE {option_poll} = %s AND {option_deleted} = %s "
            f"UNION ALL SELECT 1, {choice_pk}, {choice_order} FROM {choices} "
            f"WHERE {choice_poll} = %s "
            # Kind 2: the lowest and highest id of all the options, removed ones too (what
            # fold.store needs to fold the answer's votes).
            f"UNION ALL SELECT 2, MIN({option_pk}), MAX({option_pk}) FROM {options} "
            f"WHERE {option_poll} = %s ORDER BY 1, 3, 2"
        ),
        "entry": (
            f"INSERT INTO {entries} ({', '.join(_columns(Entry, *ENTRY_FIELDS))}) "  # noqa: S608
            f"VALUES ({_placeholders(len(ENTRY_FIELDS))})"
        ),
        "entry_returning": f" RETURNING {entry_pk}",
        "votes": (
            f"INSERT INTO {_table(Vote)} ({', '.join(_columns(Vote, *VOTE_FIELDS))}) "  # noqa: S608
            f"VALUES ({_placeholders(len(VOTE_FIELDS))})"
        ),
        # PostgreSQL: the whole answer, one call of the function of migration
        # polls.0013_answer_function (see answer_in_one_call).
        "answer_call": (
            "SELECT bitpoll_answer(%s::bigint, %s::text, %s::text, %s::text, %s::integer, "
            "%s::bigint, %s::timestamptz, %s::text, %s::text, %s::text, %s::bigint[], "
            "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], "
            "%s::bigint[])"
        ),
        "touch": (
            f"UPDATE {_table(Poll)} SET {version} = {version} + 1, {updated} = %s "  # noqa: S608
            f"WHERE {poll_pk} = %s"
        ),
    }


def get_poll(slug: str) -> Poll | None:
    """The poll with this link name, with only POLL_FIELDS loaded."""
    with prepared.cursor() as cursor:
        cursor.execute(_statements()["poll"], [slug])
        row = cursor.fetchone()
    if row is None:
        return None
    return _poll_from_row(row)


def _poll_from_row(row: Sequence[Any]) -> Poll:
    poll = prepared.build(Poll, POLL_FIELDS, row, connection.alias)
    # As Poll.from_db sets it with the description deferred.
    poll._rendered_description = poll.__dict__.get("description")
    return poll


IdSpans = tuple[tuple[Any, Any], tuple[Any, Any]]


def get_poll_and_sheet(slug: str) -> tuple[Poll | None, list[int], list[int], IdSpans]:
    """get_poll() and, if there is one, its answer_sheet_and_spans(): in one statement on
    PostgreSQL and SQLite."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        poll = get_poll(slug)
        if poll is None:
            return None, [], [], ((None, None), (None, None))
        return (poll, *answer_sheet_and_spans(poll.pk))
    with prepared.cursor() as cursor:
        cursor.execute(
            _statements()["poll_sheet" if vendor == "postgresql" else "poll_sheet_sqlite"],
            [False, slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None, [], [], ((None, None), (None, None))
    *poll_values, option_ids, choice_ids, lowest, highest = row
    if vendor == "sqlite":
        option_ids, choice_ids = _ordered_ids(option_ids), _ordered_ids(choice_ids)
    choice_span = (min(choice_ids), max(choice_ids)) if choice_ids else (None, None)
    return (
        _poll_from_row(poll_values),
        list(option_ids),
        list(choice_ids),
        ((lowest, highest), choice_span),
    )


def count_entries(poll_id: int) -> int:
    with prepared.cursor() as cursor:
        cursor.execute(_statements()["count"], [poll_id])
        return int(cursor.fetchone()[0])


def answer_sheet(poll_id: int) -> tuple[list[int], list[int]]:
    """The ids of the poll's visible options and of its choices, each in their order."""
    option_ids, choice_ids, _spans = answer_sheet_and_spans(poll_id)
    return option_ids, choice_ids


def _ordered_ids(listed: str | None) -> list[int]:
    """The ids of an "order:id,order:id" list, in (order, id) order."""
    if not listed:
        return []
    pairs = sorted(tuple(map(int, item.split(":"))) for item in listed.split(","))
    return [pk for _order, pk in pairs]


def answer_sheet_and_spans(poll_id: int) -> tuple[list[int], list[int], IdSpans]:
    """answer_sheet(), and the (lowest, highest) ids of all the poll's options and of its
    choices, for fold.store()."""
    option_ids: list[int] = []
    choice_ids: list[int] = []
    option_span: tuple[Any, Any] = (None, None)
    with prepared.cursor() as cursor:
        cursor.execute(_statements()["sheet"], [poll_id, False, poll_id, poll_id])
        for kind, pk, order in cursor.fetchall():
            if kind == 2:
                option_span = (pk, order)
            else:
                (choice_ids if kind else option_ids).append(pk)
    choice_span = (min(choice_ids), max(choice_ids)) if choice_ids else (None, None)
    return option_ids, choice_ids, (option_span, choice_span)


def insert_entry(
    poll_id: int,
    name: str,
    name_key: str,
    edit_token_hash: str,
    now: dt.datetime,
    user_id: int | None = None,
    account_key: int | None = None,
    email: str = "",
    language: str = "en",
) -> int:
    """Insert an entry; return its id. A name_key or account_key taken in the poll raises
    IntegrityError."""
    with prepared.cursor() as cursor:
        return _insert_entry(
            cursor,
            [
                poll_id, name, name_key, edit_token_hash, user_id, account_key,
                *[connection.ops.adapt_datetimefield_value(now)] * 2, email, language,
                "",  # folded: stored once the votes are in (fold.store)
            ],
        )  # fmt: skip


def _insert_entry(cursor: Any, params: list[Any]) -> int:
    statements = _statements()
    if connection.features.can_return_columns_from_insert:
        cursor.execute(statements["entry"] + statements["entry_returning"], params)
        return int(cursor.fetchone()[0])
    cursor.execute(statements["entry"], params)  # SQLite before 3.35
    return int(cursor.lastrowid)


def insert_answer(
    poll_id: int,
    name: str,
    name_key: str,
    edit_token_hash: str,
    now: dt.datetime,
    votes: Iterable[tuple[int, int, str]],
    user_id: int | None = None,
    account_key: int | None = None,
    email: str = "",
    language: str = "en",
) -> int:
    """Insert an entry with its (option id, choice id, comment) votes and bump the poll's
    version (as Poll.touch does in the database); return the entry's id. A name_key or
    account_key taken in the poll raises IntegrityError. Run it in a transaction. (On
    PostgreSQL, answer_in_one_call does this and more in one statement.)"""
    stored = connection.ops.adapt_datetimefield_value(now)
    with prepared.cursor() as cursor:
        entry_id = _insert_entry(
            cursor,
            [
                poll_id, name, name_key, edit_token_hash, user_id, account_key, stored, stored,
                email, language, "",  # folded: see insert_entry
            ],
        )  # fmt: skip
        _insert_votes(cursor, entry_id, votes)
        _touch(cursor, stored, poll_id)
    return entry_id


class LimitPassed(Exception):
    """answer_in_one_call counted a rate limit past its most: nothing was stored or counted."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__(counts)
        self.counts = counts


def answer_in_one_call(
    poll_id: int,
    name: str,
    name_key: str,
    edit_token_hash: str,
    now: dt.datetime,
    votes: Iterable[tuple[int, int, str]],
    user_id: int | None = None,
    account_key: int | None = None,
    email: str = "",
    language: str = "en",
    folded: str = "",
    limits: Sequence[tuple[str, str, int, int, int]] = (),
) -> int:
    """PostgreSQL: what insert_answer does, and before it the rate limits' counting, after it
    the votes folded (`folded`, fold.folded's string, stored unless empty), as one statement
    and so one transaction (a savepoint inside another); return the entry's id.

    `limits`: per counter, scope, subject, window start, expiry and the most hits allowed
    (ratelimit.limits.Admission.rows). When one passes its most, everything is rolled back
    and LimitPassed gives the counts that did. A name_key or account_key taken in the poll
    raises IntegrityError.
    """
    columns = list(zip(*votes, strict=True)) or [(), (), ()]
    counters = list(zip(*limits, strict=True)) or [()] * 5
    params: list[Any] = [
        poll_id, name, name_key, edit_token_hash, user_id, account_key, now, email, language,
        folded, *map(_array, columns), *map(_array, counters),
    ]  # fmt: skip
    try:
        # Inside another transaction, a savepoint that an error rolls back to.
        with atomic() if connection.in_atomic_block else contextlib.nullcontext():
            with prepared.cursor() as cursor:
                cursor.execute(_statements()["answer_call"], params)
                return int(cursor.fetchone()[0])
    except DatabaseError as error:
        cause = error.__cause__
        if getattr(cause, "sqlstate", None) != LIMIT_PASSED:
            raise
        message = str(getattr(getattr(cause, "diag", None), "message_primary", "") or "")
    counts = {}
    for item in message.split(","):
        scope, _, hits = item.rpartition("=")
        counts[scope] = int(hits)
    raise LimitPassed(counts)


def _array(values: Iterable[object]) -> str:
    """The PostgreSQL array literal of `values`, each element quoted so that any text arrives
    as it was, for a parameter cast to an array type. psycopg adapts a list by inspecting its
    elements on every call: for answer_in_one_call's eight arrays, a tenth of the Python time
    of a PostgreSQL answer."""
    return (
        "{"
        + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


def insert_votes(entry_id: int, votes: Iterable[tuple[int, int, str]]) -> None:
    """Insert (option id, choice id, comment) votes for one entry."""
    with prepared.cursor() as cursor:
        _insert_votes(cursor, entry_id, votes)


def _insert_votes(cursor: Any, entry_id: int, votes: Iterable[tuple[int, int, str]]) -> None:
    rows: Sequence[tuple[int, int, int, str]] = [
        (entry_id, option_id, choice_id, comment) for option_id, choice_id, comment in votes
    ]
    if rows:
        cursor.executemany(_statements()["votes"], rows)


def touch(poll_id: int, now: dt.datetime) -> None:
    """Bump the poll's version (see Poll.touch)."""
    with prepared.cursor() as cursor:
        _touch(cursor, connection.ops.adapt_datetimefield_value(now), poll_id)


def _touch(cursor: Any, stored_now: Any, poll_id: int) -> None:
    cursor.execute(_statements()["touch"], [stored_now, poll_id])
