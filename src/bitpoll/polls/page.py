"""Everything the poll page (and the admin dashboard) shows, in a constant number of queries.

Queries: the poll (by the caller), options, choices, answers (their votes folded into one
string each, see _rows), comments. The grid comes from results.compute(); only the presentation for this
viewer (hidden names, "you") is applied here.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Callable
from itertools import compress
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from bitpoll.core import prepared
from bitpoll.polls import fold, results, tokens, when
from bitpoll.polls.access import Viewer
from bitpoll.polls.models import Choice, Comment, Entry, Option, Poll, Vote

M = TypeVar("M", bound=Model)

# The standard library's escape, which Django's wraps (the same output): called per name
# and note, thousands of times on a big poll, Django's lazy-string wrapper cost more than
# the escaping.
escape = html.escape


class HeaderGroup(NamedTuple):
    label: str
    span: int


class HeaderCell(NamedTuple):
    option: Option
    label: str
    iso: str  # start instant in UTC for <time datetime>, "" otherwise
    iso_end: str


class EntryRow:
    """The few columns of an answer that pages show: cheaper than 5,000 model instances."""

    __slots__ = ("_created", "edit_token_hash", "name", "pk")

    def __init__(self, pk: int, name: str, edit_token_hash: str, created: object) -> None:
        self.pk = pk
        self.name = name
        self.edit_token_hash = edit_token_hash
        self._created = created

    @property
    def created(self) -> dt.datetime:
        # Converted on use: only the admin page shows it.
        return _convert_created(self._created)

    def __str__(self) -> str:
        return self.name or str(_("Anonymous"))


class PageData(NamedTuple):
    poll: Poll
    options: list[Option]
    choices: list[Choice]
    entries: list[EntryRow]
    comments: list[Comment]
    grid: results.Grid
    own_entry: EntryRow | None


def _of_poll(model: type[M], poll: Poll) -> list[M]:
    """`poll.<related>.all()`, each with the poll set on it as the related manager sets it,
    read with a statement written once (prepared.select)."""
    found = prepared.select(model, poll._state.db or DEFAULT_DB_ALIAS, poll_id=poll.pk)
    for item in found:
        item._state.fields_cache["poll"] = poll
    return found


def load(poll: Poll, viewer: Viewer | None) -> PageData:
    every_option = _of_poll(Option, poll)
    options = [o for o in every_option if not o.is_deleted]
    choices = _of_poll(Choice, poll)
    for choice in choices:
        # Pages show the scale in the visitor's language (see Choice.shown_label); these
        # instances are only read.
        choice.label = choice.shown_label
    entries, rows = _rows(poll.pk, every_option, options, choices)
    comments = _of_poll(Comment, poll)
    grid = results.compute(options, choices, rows)
    own = None
    if viewer is not None and viewer.entry_id is not None:
        own = next(
            (
                e
                for e in entries
                if e.pk == viewer.entry_id
                and tokens.check_token(viewer.entry_token, e.edit_token_hash)
            ),
            None,
        )
    return PageData(poll, options, choices, entries, comments, grid, own)


# Reading the answers: one query whatever the size, one result row per answer.
#
# Through the ORM, a poll of 5,000 answers to 100 options meant half a million vote rows, and
# creating a Python tuple for each took most of a second. Instead, a subquery per answer folds
# its votes into a string in the database, two characters a vote: the option's id and the
# choice's id, each as the character at that code point after subtracting the poll's
# smallest. A row whose option characters are exactly the visible options, in display or in
# id order, needs only a slice and a str.translate to become a results row; any other row
# (an option added after the answer, votes on removed options) is placed vote by vote.
# Comments on answers, rare, come as a JSON list in the same row.
_CHAR_FLOOR = 0x100  # skips the control characters; the option code points start here
_CHAR_CEILING = 0xD800  # surrogates start here: they are not characters


def _quoted(model: type[Model], *names: str) -> list[str]:
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(n) for n in names]
    return [qn(model._meta.db_table)] + [qn(str(getattr(f, "column", ""))) for f in fields]


@functools.cache
def _statements(vendor: str) -> tuple[str, str]:
    """(the folded statement, the vote-per-row statement) for this database vendor."""
    entries, e_id, e_poll, e_name, e_hash, e_created, e_folded = _quoted(
        Entry, "id", "poll", "name", "edit_token_hash", "created", "folded"
    )
    votes, v_id, v_entry, v_option, v_choice, v_comment = _quoted(
        Vote, "id", "entry", "option", "choice", "comment"
    )
    created = f"e.{e_created}"
    if vendor == "sqlite":
        # As text: the sqlite3 module would parse every answer's time as it fetches the row
        # (the column's declared type), and only the admin page shows it (EntryRow.created
        # converts it on use, through the ORM's converters, which accept text).
        created = f"CAST({created} AS TEXT)"
    head = f"SELECT e.{e_id}, e.{e_name}, e.{e_hash}, {created}"
    tail = f"FROM {entries} e WHERE e.{e_poll} = %s ORDER BY e.{e_created}, e.{e_id}"
    of_entry = f"FROM {votes} v WHERE v.{v_entry} = e.{e_id}"
    if vendor == "postgresql":
        live = (
            f"(SELECT string_agg(chr(CAST(v.{v_option} - %s AS integer)) || "
            f"chr(CAST(v.{v_choice} - %s AS integer)), '' "
            f"ORDER BY v.{v_option}) {of_entry})"
        )
        notes = f"(SELECT json_agg(json_build_array(v.{v_option}, v.{v_id}, v.{v_comment})) "
    else:
        live = f"(SELECT group_concat(char(v.{v_option} - %s, v.{v_choice} - %s), '') {of_entry})"
        notes = f"(SELECT json_group_array(json_array(v.{v_option}, v.{v_id}, v.{v_comment})) "
    # Written as the partial index polls_vote_noted's condition is, so that SQLite uses it.
    notes += f"{of_entry} AND NOT (v.{v_comment} = ''))"
    # The string stored on the answer (bitpoll.polls.fold) when its key is the poll's; the
    # votes folded here only for the others (the database evaluates the branch taken).
    stored = (
        f"CASE WHEN substr(e.{e_folded}, 1, %s) = %s THEN substr(e.{e_folded}, %s) ELSE {live} END"
    )
    folded = f"{head}, {stored}, {notes} {tail}"
    per_vote = (
        f"{head}, v.{v_option}, v.{v_choice}, v.{v_id}, v.{v_comment} "
        f"FROM {entries} e LEFT JOIN {votes} v ON v.{v_entry} = e.{e_id} "
        f"WHERE e.{e_poll} = %s ORDER BY e.{e_created}, e.{e_id}"
    )
    return folded, per_vote


def _foldable_choices(ids: list[int]) -> int | None:
    """Like _foldable, but the characters are printable ASCII when the ids are close enough
    (a scale is a handful of choices): str.translate maps ASCII to ASCII through a small
    table in C, and through a dictionary lookup per character otherwise."""
    if ids and max(ids) - min(ids) <= _ASCII_CEILING - _ASCII_FLOOR:
        return min(ids) - _ASCII_FLOOR
    return _foldable(ids)


_ASCII_FLOOR = 0x30
_ASCII_CEILING = 0x7E


def _foldable(ids: list[int]) -> int | None:
    """The number to subtract from these ids to make them characters, if they all fit."""
    if not ids:
        return 0
    low, high = min(ids), max(ids)
    if high - low >= _CHAR_CEILING - _CHAR_FLOOR:
        return None
    return low - _CHAR_FLOOR


def _unicode_database() -> bool:
    if connection.vendor != "postgresql":
        return True
    connection.ensure_connection()
    info = connection.connection.info  # type: ignore[union-attr]
    return str(info.parameter_status("server_encoding") or "").upper() in ("UTF8", "UTF-8")


def _rows(
    poll_id: int, every_option: list[Option], options: list[Option], choices: list[Choice]
) -> tuple[list[EntryRow], list[results.Row]]:
    width = len(options)
    column_of = {o.pk: i for i, o in enumerate(options)}
    index_of = {c.pk: i for i, c in enumerate(choices)}
    option_base = _foldable([o.pk for o in every_option])
    choice_base = _foldable_choices([c.pk for c in choices])
    folded, per_vote = _statements(connection.vendor)
    entries: list[EntryRow] = []
    rows: list[results.Row] = []
    with connection.cursor() as cursor:
        if option_base is None or choice_base is None or not _unicode_database():
            cursor.execute(per_vote, [poll_id])
            _rows_per_vote(cursor.fetchall(), width, column_of, index_of, entries, rows)
            return entries, rows
        key = fold.key(option_base, choice_base)
        cursor.execute(folded, [len(key), key, len(key) + 1, option_base, choice_base, poll_id])
        fetched = cursor.fetchall()
    option_char = {o.pk: chr(o.pk - option_base) for o in every_option}
    in_display_order = "".join(option_char[o.pk] for o in options)
    in_id_order = "".join(sorted(in_display_order))
    by_id = sorted(range(width), key=lambda i: options[i].pk)
    # Character position in id order -> column: undo the sort, per row, with one join.
    unsort = [by_id.index(i) for i in range(width)]
    answer_of = {c.pk - choice_base: results.answer_char(i) for i, c in enumerate(choices)}
    known = dict.fromkeys(answer_of)  # translate() deletes the characters mapped to None
    column_of_char = {option_char[o.pk]: i for i, o in enumerate(options)}
    for pk, name, token_hash, created, votes, notes_json in fetched:
        entries.append(EntryRow(pk, name, token_hash, created))
        votes = votes or ""
        picked, chosen = votes[0::2], votes[1::2]
        on_scale = not chosen.translate(known)  # else place vote by vote, skipping the rest
        if on_scale and picked == in_display_order:
            answers = chosen.translate(answer_of)
        elif on_scale and picked == in_id_order:
            answered = chosen.translate(answer_of)
            answers = "".join([answered[i] for i in unsort])
        else:
            cells = [results.UNANSWERED] * width
            for option, choice in zip(picked, chosen, strict=True):
                column, answer = column_of_char.get(option), answer_of.get(ord(choice))
                if column is not None and answer is not None:
                    cells[column] = answer
            answers = "".join(cells)
        notes: tuple[results.Note, ...] = ()
        if notes_json and notes_json != "[]":
            listed = json.loads(notes_json) if isinstance(notes_json, str) else notes_json
            notes = tuple(
                results.Note(column_of[option], int(vote_id), str(text))
                for option, vote_id, text in listed
                if option in column_of
            )
        rows.append(results.Row(pk, name, answers, notes))
    return entries, rows


def _rows_per_vote(
    fetched: list[tuple[Any, ...]],
    width: int,
    column_of: dict[int, int],
    index_of: dict[int, int],
    entries: list[EntryRow],
    rows: list[results.Row],
) -> None:
    current: list[Any] | None = None

    def close() -> None:
        if current is not None:
            pk, name, pairs, notes = current
            rows.append(results.build_row(pk, name, width, pairs, notes))

    for pk, name, token_hash, created, option, choice, vote_id, comment in fetched:
        if current is None or current[0] != pk:
            close()
            entries.append(EntryRow(pk, name, token_hash, created))
            current = [pk, name, [], []]
        column, index = column_of.get(option), index_of.get(choice)
        if column is None or index is None:
            continue
        current[2].append((column, index))
        if comment:
            current[3].append(results.Note(column, int(vote_id), str(comment)))
    close()


@functools.cache
def _created_converters() -> list[Any]:
    column = Entry._meta.get_field("created").get_col(Entry._meta.db_table)  # type: ignore[union-attr]
    return connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def _convert_created(value: object) -> dt.datetime:
    column = Entry._meta.get_field("created").get_col(Entry._meta.db_table)  # type: ignore[union-attr]
    for convert in _created_converters():
        value = convert(value, column, connection)
    assert isinstance(value, dt.datetime)
    return value


def header(poll: Poll, options: list[Option]) -> tuple[list[HeaderGroup], list[HeaderCell]]:
    """Two header rows: groups (month, day or text heading) over short option labels."""
    groups: list[HeaderGroup] = []
    cells: list[HeaderCell] = []
    zone = poll.zone
    for option in options:
        iso = iso_end = ""
        if option.date is not None:
            group, label = when.month(option.date), when.short_day(option.date)
        elif option.start is not None:
            group = when.day(option.start.astimezone(zone).date())
            label = when.time_span(option.start, option.end, zone)
            iso = when.iso_utc(option.start)
            if option.end is not None:
                iso_end = when.iso_utc(option.end)
        else:
            group, label = option.group, option.text
        if groups and groups[-1].label == group:
            groups[-1] = HeaderGroup(group, groups[-1].span + 1)
        else:
            groups.append(HeaderGroup(group, 1))
        cells.append(HeaderCell(option, label, iso, iso_end))
    if all(not g.label for g in groups):
        groups = []
    return groups, cells


def display_names(
    grid: results.Grid, own: EntryRow | None, hide: bool
) -> list[tuple[results.Row, str, bool]]:
    """(row, name to show, is it the viewer's own) for each row."""
    anonymous = _("Anonymous")
    own_pk = own.pk if own is not None else None
    if hide:
        template = _("Participant %(number)d")
        return [
            (row, row.name or anonymous, True)
            if row.entry_id == own_pk
            else (row, template % {"number": n}, False)
            for n, row in enumerate(grid.rows, start=1)
        ]
    return [(row, row.name or anonymous, row.entry_id == own_pk) for row in grid.rows]


def row_html(
    rows: list[tuple[results.Row, str, bool]],
    choices: list[Choice],
    you: str,
    slot: Callable[[str, object], str] | None = None,
) -> SafeString:
    """The grid's body rows. Built here rather than in a template loop: a big poll has
    thousands of cells, and short, end-tag-free markup keeps the page small and fast.

    With `slot` (the page cache's), each row starts with a marker naming its answer, so that
    a visitor's own row can be found and marked in the shared page."""
    by_char = {results.answer_char(i): f"<td class={c.css}>" for i, c in enumerate(choices)}
    by_char[results.UNANSWERED] = "<td>"
    cell = {ord(char): html for char, html in by_char.items()}
    you_html = f" <small>({escape(you)})</small>"
    parts: list[str] = []
    for row, name, mine in rows:
        if row.notes:
            listed = list(map(by_char.__getitem__, row.answers))
            for note in row.notes:
                listed[note.column] += f"<a href=#v{note.vote_id}>*</a>"
            cells = "".join(listed)
        else:
            cells = row.answers.translate(cell)
        # One string per row: a big poll has thousands of rows.
        start = slot("row", row.entry_id) if slot is not None else ""
        if mine:
            parts.append(f"{start}<tr class=me><th scope=row>{escape(name)}{you_html}{cells}\n")
        else:
            parts.append(f"{start}<tr><th scope=row>{escape(name)}{cells}\n")
    if slot is not None:
        parts.append(slot("rend", ""))
    return mark_safe("".join(parts))  # noqa: S308 - names are escaped, classes are ours


class OptionSummary(NamedTuple):
    """One option of the results as text: who gave which answer (names as escaped HTML)."""

    option: Option
    score: object
    best: bool
    answers: list[tuple[Choice, int, SafeString]]
    unanswered: tuple[int, SafeString]


class _Mask(dict[int, str]):
    """str.translate() table: the answer character to "\\x01", every other character to "\\x00"."""

    def __init__(self, char: str) -> None:
        super().__init__({ord(char): "\x01"})

    def __missing__(self, key: int) -> str:
        return "\x00"

    def of(self, answers: str) -> bytes:
        return answers.translate(self).encode()


def summaries(data: PageData, rows: list[tuple[results.Row, str, bool]]) -> list[OptionSummary]:
    """The grid turned by 90 degrees, for screen readers and small screens."""
    out = []
    # Each name escaped once, not once per option: 5,000 names x 100 options add up.
    names = [escape(name) for _row, name, _mine in rows]
    shown = len(rows) == len(data.grid.rows)
    chars = [results.answer_char(i) for i in range(len(data.choices))]

    def listed(found: list[str]) -> tuple[int, SafeString]:
        return len(found), mark_safe(", ".join(found))  # noqa: S308 - escaped above

    # Per answer, a translation table that turns a column into a mask: byte 1 where a row
    # gave that answer, 0 elsewhere, so that picking the names runs in C (compress over bytes).
    masks = {char: _Mask(char) for char in [*chars, results.UNANSWERED]}
    for col_index, (option, column) in enumerate(zip(data.options, data.grid.columns, strict=True)):
        buckets: dict[str, list[str]] = {char: [] for char in chars}
        unanswered: list[str] = []
        if not shown:  # names withheld (summary only): the totals alone
            out.append(
                OptionSummary(
                    option,
                    column.score,
                    column.best,
                    [
                        (c, n, mark_safe(""))
                        for c, n in zip(data.choices, column.counts, strict=True)
                    ],
                    (len(data.grid.rows) - sum(column.counts), mark_safe("")),
                )
            )
            continue
        if shown:
            answers = data.grid.column_answers(col_index)
            for char in chars:
                buckets[char] = list(compress(names, masks[char].of(answers)))
            unanswered = list(compress(names, masks[results.UNANSWERED].of(answers)))
        out.append(
            OptionSummary(
                option,
                column.score,
                column.best,
                [(c, *listed(buckets[char])) for c, char in zip(data.choices, chars, strict=True)],
                listed(unanswered),
            )
        )
    return out


def answer_keys(choices: list[Choice]) -> list[tuple[Choice, str]]:
    """Each choice with the letter that picks it in the answer grid: y for the best weight,
    n for the worst, m for the one between them on a scale of three (digits work for all)."""
    if len(choices) < 2:
        return [(c, "") for c in choices]
    weights = [c.weight for c in choices]
    top, bottom = max(weights), min(weights)
    keys = []
    for c in choices:
        if c.weight == top and weights.count(top) == 1:
            keys.append((c, "y"))
        elif c.weight == bottom and weights.count(bottom) == 1:
            keys.append((c, "n"))
        elif len(choices) == 3 and top != c.weight != bottom:
            keys.append((c, "m"))
        else:
            keys.append((c, ""))
    return keys


def context(
    data: PageData,
    viewer: Viewer | None,
    *,
    admin: bool,
    answered: bool = False,
    slot: Callable[[str, object], str] | None = None,
) -> dict[str, object]:
    """The template context. `answered`: show results as to someone who has answered (the
    page cache's variant for polls that show them only then); `slot`: render for the page
    cache, with markers where each visitor's own parts go."""
    poll = data.poll
    show = (
        admin
        or answered
        or poll.results_visibility == Poll.Visibility.ALWAYS
        or (poll.results_visibility == Poll.Visibility.AFTER_ANSWER and data.own_entry is not None)
    )
    hide_names = poll.hide_participant_names and not admin
    # Summary only: the totals per option, no one's individual answers (but to the admin).
    summary = poll.summary_only and not admin
    groups, cells = header(poll, data.options)
    rows = display_names(data.grid, data.own_entry, hide_names) if show and not summary else []
    if poll.participant_order == Poll.ParticipantOrder.NAME and not hide_names:
        rows.sort(key=lambda item: (item[1].casefold(), item[0].entry_id))
    columns = list(zip(cells, data.grid.columns, strict=True))
    option_label = {i: o.label for i, o in enumerate(data.options)}
    # Markup built here, like the rows: a poll of 5,000 answers can carry thousands of notes.
    label_html = {i: escape(label) for i, label in option_label.items()}
    notes: list[str] = [
        f'<li id="v{note.vote_id}"><strong>{escape(name)}</strong>, '
        f"{label_html[note.column]}: {escape(note.text)}</li>"
        for row, name, _mine in rows
        for note in row.notes
    ]
    deletable = viewer.hashes() if viewer is not None else set()
    comments = [(c, admin or c.edit_token_hash in deletable) for c in data.comments]
    counts = [
        (choice, [col.counts[i] for col in data.grid.columns])
        for i, choice in enumerate(data.choices)
    ]
    # For the script that gives each results cell its answer as text (for screen readers):
    # written into every cell, the names would double the size of a big poll's page.
    cell_labels = {c.css: c.label for c in data.choices}
    cell_labels[""] = _("no answer")
    return {
        "poll": poll,
        "cell_labels": json.dumps(cell_labels, ensure_ascii=False),
        "options": data.options,
        "choices": data.choices,
        "answer_choices": answer_keys(data.choices),
        "groups": groups,
        "columns": columns,
        "show_results": show,
        # Callables, which templates call when they use them: the results list does not.
        "rows_html": (lambda: row_html(rows, data.choices, _("you"), slot)) if show else "",
        "row_count": len(data.grid.rows) if summary and show else len(rows),
        "summary_only": summary,
        "counts": counts,
        "notes": bool(notes),
        "notes_html": lambda: mark_safe("".join(notes)),  # noqa: S308 - every value is escaped
        "comments": comments,
        "own_entry": data.own_entry,
        "hide_names": hide_names,
        "best_score": data.grid.best_score,
        "answered": data.grid.answered,
        "is_admin": admin,
        "display_rows": rows,
    }
