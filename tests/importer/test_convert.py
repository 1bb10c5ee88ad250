"""The original's values turned into ours (bitpoll.importer.convert)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from bitpoll.importer import convert
from bitpoll.polls.models import Choice, validate_slug


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sommerfest-essen", "sommerfest-essen"),
        ("wZZEzQvvVd", "wzzezqvvvd"),
        ("my_poll", "my-poll"),
        ("ab", "ab-poll"),
        ("a", "a-poll"),
        ("admin", "admin-poll"),
        ("-_-", "poll"),
        ("-lead-and-trail_", "lead-and-trail"),
        ("x" * 80, "x" * 80),
    ],
)
def test_link_names_become_valid_ones(old: str, new: str) -> None:
    assert convert.slug_candidate(old) == new
    validate_slug(new)


def test_suffixes_keep_link_names_valid() -> None:
    validate_slug(convert.with_suffix("x" * 80, 12))
    assert convert.with_suffix("abc", 2) == "abc-2"


@pytest.mark.parametrize(
    ("color", "colour"),
    [
        ("90db46", Choice.Colour.GREEN), ("c43131", Choice.Colour.RED),
        ("ffe800", Choice.Colour.AMBER), ("B0E", Choice.Colour.PURPLE),
        ("#1565c0", Choice.Colour.BLUE), ("00a0a0", Choice.Colour.TEAL),
        ("777777", Choice.Colour.GREY), ("000", Choice.Colour.GREY),
    ],
)  # fmt: skip
def test_colours_go_to_the_nearest_of_the_palette(color: str, colour: str) -> None:
    assert convert.colour_for(color) == (colour, True)


def test_unreadable_colours_are_grey_and_said_so() -> None:
    assert convert.colour_for("red") == (Choice.Colour.GREY, False)


def test_icons() -> None:
    assert convert.icon_for("check") == (Choice.Icon.CHECK, True)
    assert convert.icon_for("fa-times") == (Choice.Icon.CROSS, True)
    assert convert.icon_for("laptop") == (Choice.Icon.QUESTION, False)


def test_weights_round_to_two_places_and_clamp() -> None:
    assert convert.as_decimal(0.33) == Decimal("0.33")
    assert convert.as_decimal(1) == Decimal("1.00")
    assert convert.clamp_weight(Decimal("2.5")) == 1
    assert convert.clamp_weight(Decimal("-1")) == 0


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Grill/Würstchen", ["Grill", "Würstchen"]),
        ("A / B", ["A", "B"]),
        ("Trailing/", ["Trailing"]),
        ("/Leading", ["Leading"]),
        (r"Musik/Rock/AC\/DC", ["Musik", "Rock", "AC/DC"]),
        (r"back\\slash/x", ["back\\slash", "x"]),
        ("", []),
    ],
)
def test_grouping_follows_the_original(text: str, parts: list[str]) -> None:
    assert convert.split_grouping(text) == parts


def test_datetimes_from_both_backends_are_utc() -> None:
    assert convert.as_datetime("2026-03-29 08:00:00") == dt.datetime(2026, 3, 29, 8, tzinfo=dt.UTC)
    assert convert.as_datetime("2026-01-08 18:30:52.729582") == dt.datetime(
        2026, 1, 8, 18, 30, 52, 729582, tzinfo=dt.UTC
    )
    berlin = dt.datetime(2026, 3, 29, 10, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert convert.as_datetime(berlin) == dt.datetime(2026, 3, 29, 8, tzinfo=dt.UTC)
    assert convert.as_datetime(None) is None


def test_the_lmt_fix_leaves_ordinary_times_alone() -> None:
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    shifted = dt.datetime(2026, 3, 27, 23, 41, tzinfo=dt.UTC)  # 09:00 Tokyo read with +09:19
    assert convert.fix_lmt(shifted, tokyo) == dt.datetime(2026, 3, 28, 0, 0, tzinfo=dt.UTC)
    assert convert.fix_lmt(dt.datetime(2026, 3, 28, 0, 0, tzinfo=dt.UTC), tokyo) is None
    # The original stored a nonexistent 02:30 (spring forward) as 01:30Z: kept as it is.
    assert convert.fix_lmt(dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), berlin) is None
    # An odd time that LMT does not explain is what the owner typed.
    assert convert.fix_lmt(dt.datetime(2026, 3, 28, 8, 13, tzinfo=dt.UTC), berlin) is None
