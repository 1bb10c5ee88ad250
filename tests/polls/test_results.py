"""results.compute(): the grid as plain data, without the database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bitpoll.polls.results import compute


@dataclass
class Opt:
    pk: int


@dataclass
class C:
    pk: int
    weight: Decimal
    css: str


@dataclass
class E:
    pk: int
    name: str


@dataclass
class V:
    pk: int
    option_id: int
    choice_id: int
    comment: str = ""


YES, MAYBE, NO = C(1, Decimal(1), "A"), C(2, Decimal("0.5"), "J"), C(3, Decimal(0), "S")


def test_it_counts_scores_and_marks_the_best() -> None:
    grid = compute(
        Opt(0),
        [Opt(10), Opt(20)],
        [YES, MAYBE, NO],
        [
            (E(1, "Bob"), [V(1, 10, 1), V(2, 20, 2, "late")]),
            (E(2, "Carol"), [V(3, 10, 2), V(4, 20, 3)]),
        ],
    )
    assert [c.counts for c in grid.columns] == [(1, 1, 0), (0, 1, 1)]
    assert [c.score for c in grid.columns] == [Decimal("1.5"), Decimal("0.5")]
    assert [c.best for c in grid.columns] == [True, False]
    assert grid.rows[0].cells[1].comment == "late" and grid.rows[0].has_comments
    assert [c.css for c in grid.rows[1].cells] == ["J", "S"]


def test_it_marks_ties_and_nothing_when_all_zero() -> None:
    tie = compute(Opt(0), [Opt(1), Opt(2)], [YES, NO], [(E(1, "A"), [V(1, 1, 1), V(2, 2, 1)])])
    assert [c.best for c in tie.columns] == [True, True]
    zero = compute(Opt(0), [Opt(1)], [YES, NO], [(E(1, "A"), [V(1, 1, 3)])])
    assert [c.best for c in zero.columns] == [False]


def test_it_ignores_votes_on_options_it_was_not_given() -> None:
    grid = compute(Opt(0), [Opt(1)], [YES, NO], [(E(1, "A"), [V(1, 99, 1)])])
    assert grid.columns[0].counts == (0, 0) and grid.rows[0].cells[0].css == ""


def test_it_handles_an_empty_poll() -> None:
    grid = compute(Opt(0), [], [YES], [])
    assert grid.columns == () and grid.rows == () and grid.answered == 0


def test_it_records_the_choice_index_of_each_cell() -> None:
    twin = C(4, Decimal(1), "A")  # same look as YES; the index still tells them apart
    grid = compute(Opt(0), [Opt(1)], [YES, twin], [(E(1, "A"), [V(1, 1, 4)])])
    assert grid.rows[0].cells[0].choice == 1
