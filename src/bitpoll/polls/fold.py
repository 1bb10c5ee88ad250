"""Each answer's votes kept folded into one string on the answer itself (`Entry.folded`).

The poll page reads every answer's votes as a string of two characters a vote (see
`bitpoll.polls.page`). Folding them in the query cost two SQL function calls per vote, most
of an uncached render of a big poll (120,000 votes on a poll of 60 options and 2,000
answers), so the folded string is stored on the answer when its votes are written, and the
query reads it as it is.

The stored string starts with a key naming the two numbers subtracted from the ids to make
characters, `"<option base>,<choice base>:"`. The page uses a stored string only when its key
is the one it computes for the poll as it is now, and folds the votes in the query for the
others: an option or a scale change that moves the bases makes old strings unused, never
wrong.

Every change to a vote empties its answer's string: triggers in the database (migration
`polls.0012_entry_folded`) do it on insert, update and delete, whatever the path (the ORM,
`bitpoll.polls.sql`, the Django admin, cascades, a restore, a previous release serving beside
this one). The paths that write votes then store the string again (`store()` for a new
answer, `refold()` for the rest), so that nothing falls back to the slow reading for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from bitpoll.core import prepared

# Quoted as both databases quote identifiers. Named here rather than from the models: the
# migration that adds the column calls refold() with the tables as they were then.
TABLES = {
    "entry": '"polls_entry"',
    "vote": '"polls_vote"',
    "option": '"polls_option"',
    "choice": '"polls_choice"',
}


def key(option_base: int, choice_base: int) -> str:
    return f"{option_base},{choice_base}:"


def fold(option_base: int, choice_base: int, pairs: Iterable[tuple[int, int]]) -> str:
    """The stored string for (option id, choice id) votes: the key, then the votes in
    option id order."""
    votes = "".join(chr(o - option_base) + chr(c - choice_base) for o, c in sorted(pairs))
    return key(option_base, choice_base) + votes


def bases(
    options: tuple[Any, Any] | None, choices: tuple[Any, Any] | None
) -> tuple[int, int] | None:
    """The (option, choice) bases for a poll whose ids span these (lowest, highest) ranges,
    as the page computes them; None when the ids do not fit in characters."""
    from bitpoll.polls import page  # the page owns the encoding (and its tests patch it)

    option_ids = [i for i in options or () if i is not None]
    choice_ids = [i for i in choices or () if i is not None]
    option_base = page._foldable(option_ids)
    choice_base = page._foldable_choices(choice_ids)
    if option_base is None or choice_base is None:
        return None
    return option_base, choice_base


def _usable(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor != "postgresql":
        return True
    connection.ensure_connection()
    info = connection.connection.info
    return str(info.parameter_status("server_encoding") or "").upper() in ("UTF8", "UTF-8")


def _ranges(
    connection: BaseDatabaseWrapper, poll_ids: Sequence[int] | None
) -> dict[int, tuple[int, int] | None]:
    """Per poll, its bases (None when it does not fold)."""
    where, params = _in("poll_id", poll_ids)
    spans: dict[int, dict[str, tuple[Any, Any]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT '{kind}', poll_id, MIN(id), MAX(id) FROM {TABLES[kind]} {where} "  # noqa: S608
                "GROUP BY poll_id"
                for kind in ("option", "choice")
            ),
            params * 2,
        )
        for kind, poll_id, low, high in cursor.fetchall():
            spans.setdefault(poll_id, {})[kind] = (low, high)
    return {
        poll_id: bases(spans.get(poll_id, {}).get("option"), spans.get(poll_id, {}).get("choice"))
        for poll_id in (poll_ids if poll_ids is not None else spans)
    }


def _in(column: str, ids: Sequence[int] | None) -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    if not ids:
        return "WHERE 1 = 0", []
    return f"WHERE {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def store(
    poll_id: int,
    entry_id: int,
    pairs: Iterable[tuple[int, int]],
    using: str = DEFAULT_DB_ALIAS,
    spans: tuple[tuple[Any, Any], tuple[Any, Any]] | None = None,
) -> None:
    """Store the folded votes of a new answer whose votes (option id, choice id) are `pairs`
    (the answer path: the votes are known, only the bases are read, unless the caller passes
    the (lowest, highest) option and choice ids it read already: `spans`, which may be
    older than the write, since the key records the bases the string was made with)."""
    connection = connections[using]
    string = folded(poll_id, pairs, using, spans)
    if not string:
        return
    # The answer path's last statement: prepared on PostgreSQL, sqlite3's own cursor on SQLite.
    with prepared.cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE {TABLES['entry']} SET folded = %s WHERE id = %s",  # noqa: S608
            [string, entry_id],
        )


def folded(
    poll_id: int,
    pairs: Iterable[tuple[int, int]],
    using: str = DEFAULT_DB_ALIAS,
    spans: tuple[tuple[Any, Any], tuple[Any, Any]] | None = None,
) -> str:
    """What store() stores for these votes: the folded string, or "" when the poll's ids do
    not fold (or the database cannot hold the string)."""
    connection = connections[using]
    if not _usable(connection):
        return ""
    if spans is not None:
        found = bases(*spans)
    else:
        found = _ranges(connection, [poll_id])[poll_id]
    if found is None:
        return ""
    return fold(*found, pairs)


def refold(
    *,
    poll_ids: Sequence[int] | None = None,
    entry_ids: Sequence[int] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    connection: BaseDatabaseWrapper | None = None,
) -> int:
    """Store the folded votes of these answers (or of every answer of these polls, or of
    every answer) from the votes in the database; return how many strings changed."""
    connection = connection or connections[using]
    if not _usable(connection):
        return 0
    if poll_ids is None and entry_ids is None:
        # A few polls at a time, so that a big database's votes are never all in memory at once.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT poll_id FROM {TABLES['entry']}")  # noqa: S608
            every = sorted(row[0] for row in cursor.fetchall())
        return sum(
            refold(poll_ids=every[i : i + 20], connection=connection)
            for i in range(0, len(every), 20)
        )
    entry, vote = TABLES["entry"], TABLES["vote"]
    if entry_ids is not None:
        where, params = _in("e.id", entry_ids)
    else:
        where, params = _in("e.poll_id", poll_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, e.poll_id, e.folded FROM {entry} e {where}",  # noqa: S608
            params,
        )
        answers = {pk: (poll_id, stored) for pk, poll_id, stored in cursor.fetchall()}
        polls = sorted({poll_id for poll_id, _ in answers.values()})
        found = _ranges(connection, polls) if polls else {}
        pairs: dict[int, list[tuple[int, int]]] = {pk: [] for pk in answers}
        cursor.execute(
            f"SELECT v.entry_id, v.option_id, v.choice_id FROM {vote} v "  # noqa: S608
            f"JOIN {entry} e ON e.id = v.entry_id {where}",
            params,
        )
        for entry_id, option_id, choice_id in cursor.fetchall():
            pairs[entry_id].append((option_id, choice_id))
        changed = []
        for pk, (poll_id, stored) in answers.items():
            poll_bases = found.get(poll_id)
            new = "" if poll_bases is None else fold(*poll_bases, pairs[pk])
            if new != stored:
                changed.append((new, pk))
        if changed:
            cursor.executemany(
                f"UPDATE {entry} SET folded = %s WHERE id = %s",  # noqa: S608
                changed,
            )
    return len(changed)
