"""Everything the poll page (and the admin dashboard) shows, in a constant number of queries.

Queries: the poll (by the caller), visible options, choices, entries, votes (one join, no IN
list), comments. The grid comes from results.compute(); only the presentation for this
viewer (hidden names, "you") is applied here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from bitpoll.polls import results
from bitpoll.polls.access import Viewer
from bitpoll.polls.models import Choice, Comment, Entry, Option, Poll, Vote


@dataclass(frozen=True)
class HeaderGroup:
    label: str
    span: int


@dataclass(frozen=True)
class HeaderCell:
    option: Option
    label: str
    iso: str  # start instant in UTC for <time datetime>, "" otherwise
    iso_end: str


@dataclass
class PageData:
    poll: Poll
    options: list[Option]
    choices: list[Choice]
    entries: list[Entry]
    comments: list[Comment]
    grid: results.Grid
    own_entry: Entry | None


def load(poll: Poll, viewer: Viewer | None) -> PageData:
    options = list(poll.options.filter(is_deleted=False))
    choices = list(poll.choices.all())
    entries = list(poll.entries.only("pk", "poll_id", "name", "edit_token_hash", "created"))
    by_entry: dict[int, list[Any]] = defaultdict(list)
    votes = Vote.objects.filter(entry__poll_id=poll.pk, option__is_deleted=False)
    for vote in votes.values_list(
        "pk", "entry_id", "option_id", "choice_id", "comment", named=True
    ):
        by_entry[vote.entry_id].append(vote)
    comments = list(poll.comments.all())
    grid = results.compute(poll, options, choices, ((e, by_entry.get(e.pk, ())) for e in entries))
    own = None
    if viewer is not None and viewer.entry_id is not None:
        own = next((e for e in entries if viewer.owns_entry(e)), None)
    return PageData(poll, options, choices, entries, comments, grid, own)


def _short_date(day: dt.date) -> str:
    return date_format(day, "D j")


def header(poll: Poll, options: list[Option]) -> tuple[list[HeaderGroup], list[HeaderCell]]:
    """Two header rows: groups (month, day or text heading) over short option labels."""
    groups: list[HeaderGroup] = []
    cells: list[HeaderCell] = []
    zone = poll.zone
    for option in options:
        iso = iso_end = ""
        if option.date is not None:
            group, label = date_format(option.date, "F Y"), _short_date(option.date)
        elif option.start is not None:
            start = option.start.astimezone(zone)
            group = date_format(start, "D j M Y")
            label = f"{start:%H:%M}"
            iso = option.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if option.end is not None:
                end = option.end.astimezone(zone)
                label += (
                    f"\u2013{end:%H:%M}"
                    if end.date() == start.date()
                    else f"\u2013{date_format(end, 'j M')} {end:%H:%M}"
                )
                iso_end = option.end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
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
    grid: results.Grid, own: Entry | None, hide: bool
) -> list[tuple[results.Row, str, bool]]:
    """(row, name to show, is it the viewer's own) for each row."""
    anonymous = _("Anonymous")
    out = []
    for n, row in enumerate(grid.rows, start=1):
        mine = own is not None and row.entry_id == own.pk
        if hide and not mine:
            name = _("Participant %(number)d") % {"number": n}
        else:
            name = row.name or anonymous
        out.append((row, name, mine))
    return out


def row_html(rows: list[tuple[results.Row, str, bool]], you: str) -> SafeString:
    """The grid's body rows. Built here rather than in a template loop: a big poll has
    thousands of cells, and short, end-tag-free markup keeps the page small and fast."""
    parts: list[str] = []
    for row, name, mine in rows:
        parts.append("<tr class=me>" if mine else "<tr>")
        label = escape(name) + (f" <small>({escape(you)})</small>" if mine else "")
        parts.append(f"<th scope=row>{label}")
        for cell in row.cells:
            if not cell.css:
                parts.append("<td>")
            elif cell.comment:
                parts.append(f"<td class={cell.css}><a href=#v{cell.vote_id}>*</a>")
            else:
                parts.append(f"<td class={cell.css}>")
        parts.append("\n")
    return mark_safe("".join(parts))  # noqa: S308 - names are escaped, classes are ours


@dataclass(frozen=True)
class OptionSummary:
    """One option of the results as text: who gave which answer."""

    option: Option
    score: object
    best: bool
    answers: list[tuple[Choice, list[str]]]
    unanswered: list[str]


def summaries(data: PageData, rows: list[tuple[results.Row, str, bool]]) -> list[OptionSummary]:
    """The grid turned by 90 degrees, for screen readers and small screens."""
    out = []
    for col_index, (option, column) in enumerate(zip(data.options, data.grid.columns, strict=True)):
        names: list[list[str]] = [[] for _ in data.choices]
        unanswered = []
        for row, name, _mine in rows:
            choice = row.cells[col_index].choice
            if choice >= 0:
                names[choice].append(name)
            else:
                unanswered.append(name)
        out.append(
            OptionSummary(
                option,
                column.score,
                column.best,
                list(zip(data.choices, names, strict=True)),
                unanswered,
            )
        )
    return out


def context(data: PageData, viewer: Viewer | None, *, admin: bool) -> dict[str, object]:
    poll = data.poll
    show = (
        admin
        or poll.results_visibility == Poll.Visibility.ALWAYS
        or (poll.results_visibility == Poll.Visibility.AFTER_ANSWER and data.own_entry is not None)
    )
    hide_names = poll.hide_participant_names and not admin
    groups, cells = header(poll, data.options)
    rows = display_names(data.grid, data.own_entry, hide_names) if show else []
    columns = list(zip(cells, data.grid.columns, strict=True))
    option_label = {o.pk: o.label for o in data.options}
    name_of = {row.entry_id: name for row, name, _mine in rows}
    notes = [
        (cell.vote_id, name_of[row.entry_id], option_label[data.options[i].pk], cell.comment)
        for row, _name, _mine in rows
        for i, cell in enumerate(row.cells)
        if cell.comment
    ]
    deletable = viewer.hashes() if viewer is not None else set()
    comments = [(c, admin or c.edit_token_hash in deletable) for c in data.comments]
    counts = [
        (choice, [col.counts[i] for col in data.grid.columns])
        for i, choice in enumerate(data.choices)
    ]
    return {
        "poll": poll,
        "options": data.options,
        "choices": data.choices,
        "groups": groups,
        "columns": columns,
        "show_results": show,
        "rows_html": row_html(rows, _("you")) if show else "",
        "row_count": len(rows),
        "counts": counts,
        "notes": notes,
        "comments": comments,
        "own_entry": data.own_entry,
        "hide_names": hide_names,
        "best_score": data.grid.best_score,
        "answered": data.grid.answered,
        "is_admin": admin,
        "display_rows": rows,
    }
