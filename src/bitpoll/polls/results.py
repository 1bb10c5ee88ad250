"""The results grid as plain data, computed without touching the database.

`compute()` depends only on its arguments, so its result can be cached under
(poll.pk, poll.version) and shared by every viewer; per-viewer concerns (hidden names, which
row is "you") are applied by the view afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Cell:
    css: str  # the choice's cell class, "" when unanswered
    comment: str
    vote_id: int
    choice: int = -1  # index into the choices, -1 when unanswered


@dataclass(frozen=True)
class Row:
    entry_id: int
    name: str
    cells: tuple[Cell, ...]
    has_comments: bool


@dataclass(frozen=True)
class Column:
    option_id: int
    counts: tuple[int, ...]  # per choice, in scale order
    score: Decimal
    best: bool


@dataclass(frozen=True)
class Grid:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    best_score: Decimal
    answered: int


def compute(
    poll: object,
    options: Sequence[object],
    choices: Sequence[object],
    entries_with_votes: Iterable[tuple[object, Iterable[object]]],
) -> Grid:
    """Build the grid.

    `options` and `choices` are visible Options and the scale's Choices, in display order;
    `entries_with_votes` yields (entry, votes) pairs where votes have option_id, choice_id,
    comment and pk. Votes on options not in `options` (removed ones) are ignored.
    """
    column_of = {o.pk: i for i, o in enumerate(options)}  # type: ignore[attr-defined]
    choice_index = {c.pk: i for i, c in enumerate(choices)}  # type: ignore[attr-defined]
    choice_css = [c.css for c in choices]  # type: ignore[attr-defined]
    weights = [Decimal(c.weight) for c in choices]  # type: ignore[attr-defined]
    counts = [[0] * len(choices) for _ in options]
    empty = Cell("", "", 0)
    rows: list[Row] = []
    for entry, votes in entries_with_votes:
        cells = [empty] * len(options)
        has_comments = False
        for vote in votes:
            col = column_of.get(vote.option_id)  # type: ignore[attr-defined]
            idx = choice_index.get(vote.choice_id)  # type: ignore[attr-defined]
            if col is None or idx is None:
                continue
            counts[col][idx] += 1
            comment = vote.comment  # type: ignore[attr-defined]
            has_comments = has_comments or bool(comment)
            cells[col] = Cell(choice_css[idx], comment, vote.pk, idx)  # type: ignore[attr-defined]
        rows.append(Row(entry.pk, entry.name, tuple(cells), has_comments))  # type: ignore[attr-defined]
    scores = [sum((n * w for n, w in zip(c, weights, strict=True)), Decimal(0)) for c in counts]
    best = max(scores, default=Decimal(0))
    columns = tuple(
        Column(o.pk, tuple(counts[i]), scores[i], best > 0 and scores[i] == best)  # type: ignore[attr-defined]
        for i, o in enumerate(options)
    )
    return Grid(columns, tuple(rows), best, len(rows))
