"""The results grid as plain data, computed without touching the database.

A row keeps its answers as a string with one character per column: the character
`answer_char(i)` for the scale's i-th choice, `UNANSWERED` where the participant gave no
answer. A poll of 100 options and 5,000 answers has half a million cells, and strings let
the work per cell (counting, turning rows into markup, CSV) run in the str methods' C loops
instead of in Python code: `str.count` over a column slice, `str.translate` per row.

`compute()` depends only on its arguments; per-viewer concerns (hidden names, which row is
"you") are applied by the caller afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple, Protocol

UNANSWERED = " "
_ANSWER_BASE = 0x30  # printable, and far from UNANSWERED


def answer_char(index: int) -> str:
    return chr(_ANSWER_BASE + index)


def choice_index(char: str) -> int:
    """The choice index an answer character stands for, -1 when unanswered."""
    return -1 if char == UNANSWERED else ord(char) - _ANSWER_BASE


class Note(NamedTuple):
    """A comment on one answer."""

    column: int
    vote_id: int
    text: str


class Row(NamedTuple):
    entry_id: int
    name: str
    answers: str  # one character per column, see the module docstring
    notes: tuple[Note, ...] = ()


class Column(NamedTuple):
    option_id: int
    counts: tuple[int, ...]  # per choice, in scale order
    score: Decimal
    best: bool


class Grid(NamedTuple):
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    best_score: Decimal
    answered: int
    joined: str = ""  # every row's answers, one after the other

    def column_answers(self, column: int) -> str:
        """The answers in one column, a character per row, in row order."""
        return self.joined[column :: len(self.columns)]


class _HasPk(Protocol):
    @property
    def pk(self) -> int: ...


class _HasWeight(Protocol):
    @property
    def weight(self) -> Decimal: ...


def build_row(
    entry_id: int,
    name: str,
    width: int,
    answers: Iterable[tuple[int, int]],
    notes: Iterable[Note] = (),
) -> Row:
    """A row from (column, choice index) pairs, for answers not already in string form."""
    cells = [UNANSWERED] * width
    for column, choice in answers:
        cells[column] = answer_char(choice)
    return Row(entry_id, name, "".join(cells), tuple(notes))


def compute(options: Sequence[_HasPk], choices: Sequence[_HasWeight], rows: Sequence[Row]) -> Grid:
    """Count, score and mark the best of the visible `options` (in display order) answered
    on the scale `choices` (in order) in `rows`, whose answers are one character per option."""
    width = len(options)
    grid_rows = tuple(rows)
    weights = [Decimal(c.weight) for c in choices]
    chars = [answer_char(i) for i in range(len(choices))]
    joined = "".join(row.answers for row in grid_rows) if width else ""
    counts = [tuple(joined[i::width].count(ch) for ch in chars) for i in range(width)]
    scores = [sum((n * w for n, w in zip(c, weights, strict=True)), Decimal(0)) for c in counts]
    best = max(scores, default=Decimal(0))
    columns = tuple(
        Column(o.pk, counts[i], scores[i], best > 0 and scores[i] == best)
        for i, o in enumerate(options)
    )
    return Grid(columns, grid_rows, best, len(grid_rows), joined)
