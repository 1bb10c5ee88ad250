"""results.compute(): the grid as plain data, without the database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bitpoll.polls.results import UNANSWERED, Note, Row, answer_char, build_row, compute


@dataclass
class Opt:
    pk: int


@dataclass
class C:
    pk: int
    weight: Decimal


YES, MAYBE, NO = C(1, Decimal(1)), C(2, Decimal("0.5")), C(3, Decimal(0))
Y, M, N = answer_char(0), answer_char(1), answer_char(2)


def test_it_counts_scores_and_marks_the_best() -> None:
    grid = compute(
        [Opt(10), Opt(20)],
        [YES, MAYBE, NO],
        [Row(1, "Bob", Y + M, (Note(1, 2, "late"),)), Row(2, "Carol", M + N)],
    )
    assert [c.counts for c in grid.columns] == [(1, 1, 0), (0, 1, 1)]
    assert [c.score for c in grid.columns] == [Decimal("1.5"), Decimal("0.5")]
    assert [c.best for c in grid.columns] == [True, False]
    assert grid.column_answers(0) == Y + M and grid.column_answers(1) == M + N


def test_it_marks_ties_and_nothing_when_all_zero() -> None:
    tie = compute([Opt(1), Opt(2)], [YES, NO], [Row(1, "A", Y + Y)])
    assert [c.best for c in tie.columns] == [True, True]
    zero = compute([Opt(1)], [YES, NO], [Row(1, "A", answer_char(1))])
    assert [c.best for c in zero.columns] == [False]


def test_it_counts_nothing_for_unanswered_cells() -> None:
    grid = compute([Opt(1), Opt(2)], [YES, NO], [Row(1, "A", UNANSWERED + Y)])
    assert grid.columns[0].counts == (0, 0) and grid.columns[1].counts == (1, 0)


def test_it_handles_an_empty_poll() -> None:
    grid = compute([], [YES], [])
    assert grid.columns == () and grid.rows == () and grid.answered == 0


def test_it_builds_a_row_from_pairs_in_any_order() -> None:
    row = build_row(7, "Dora", 3, [(2, 1), (0, 0)])
    assert row.answers == Y + UNANSWERED + M
