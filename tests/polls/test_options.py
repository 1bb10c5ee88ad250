"""Option lines: parsing, groups, and daylight-saving transitions."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from bitpoll.polls.options import ParsedOption, parse_lines, shift, split_group

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def test_it_parses_and_sorts_dates() -> None:
    parsed = parse_lines("date", "2030-05-05\n\n2030-05-04\n2030-05-05", BERLIN)
    assert [p.date for p in parsed] == [dt.date(2030, 5, 4), dt.date(2030, 5, 5)]


def test_it_stores_spring_forward_slots_as_the_right_utc_instants() -> None:
    # Last Sunday of March 2030 is the 31st: 02:00 CET becomes 03:00 CEST.
    parsed = parse_lines("datetime", "2030-03-31 01:30\n2030-03-31 03:30\n2030-03-30 09:00", BERLIN)
    assert [p.start for p in parsed] == [
        dt.datetime(2030, 3, 30, 8, 0, tzinfo=UTC),
        dt.datetime(2030, 3, 31, 0, 30, tzinfo=UTC),
        dt.datetime(2030, 3, 31, 1, 30, tzinfo=UTC),
    ]


def test_it_rejects_a_time_skipped_by_the_clock_change() -> None:
    with pytest.raises(ValidationError, match="does not exist in Europe/Berlin"):
        parse_lines("datetime", "2030-03-31 02:30", BERLIN)


def test_it_takes_the_first_of_a_repeated_time_in_october() -> None:
    # Last Sunday of October 2030 is the 27th: 03:00 CEST becomes 02:00 CET.
    parsed = parse_lines("datetime", "2030-10-27 02:30\n2030-10-27 09:00-10:00", BERLIN)
    assert parsed[0].start == dt.datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert parsed[1].start == dt.datetime(2030, 10, 27, 8, 0, tzinfo=UTC)
    assert parsed[1].end == dt.datetime(2030, 10, 27, 9, 0, tzinfo=UTC)


def test_it_spans_the_autumn_change_with_the_right_length() -> None:
    parsed = parse_lines("datetime", "2030-10-27 01:00-04:00", BERLIN)
    assert parsed[0].end - parsed[0].start == dt.timedelta(hours=4)  # type: ignore[operator]


@pytest.mark.parametrize(
    "line",
    ["2030-02-30", "tomorrow", "30.5.2030", "0001-01-01", "99999-01-01", "2030-5-4"],
)
def test_it_rejects_bad_dates(line: str) -> None:
    with pytest.raises(ValidationError):
        parse_lines("date", line, BERLIN)


@pytest.mark.parametrize(
    "line", ["2030-05-04", "2030-05-04 25:00", "2030-05-04 10:00-09:00", "2030-05-04 9"]
)
def test_it_rejects_bad_times(line: str) -> None:
    with pytest.raises(ValidationError):
        parse_lines("datetime", line, BERLIN)


def test_it_accepts_the_datetime_local_format() -> None:
    assert parse_lines("datetime", "2030-05-04T09:00", UTC)[0].start == dt.datetime(
        2030, 5, 4, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lunch/Pizza", ("Lunch", "Pizza")),
        ("Lunch / Sushi / Maki", ("Lunch", "Sushi / Maki")),
        ("AC\\/DC", ("", "AC/DC")),
        ("Bands/AC\\/DC", ("Bands", "AC/DC")),
        ("/leading", ("", "/leading")),
        ("trailing/", ("", "trailing/")),
    ],
)
def test_it_splits_groups(line: str, expected: tuple[str, str]) -> None:
    assert split_group(line) == expected


def test_it_keeps_text_options_in_input_order() -> None:
    parsed = parse_lines("text", "B\nA\nB", UTC)
    assert [p.text for p in parsed] == ["B", "A"]


def test_it_limits_the_number_of_options() -> None:
    with pytest.raises(ValidationError, match="At most"):
        parse_lines("text", "\n".join(str(i) for i in range(101)), UTC)


def test_it_shifts_dates_and_keeps_wall_clock_time() -> None:
    assert shift(ParsedOption(date=dt.date(2030, 12, 31)), 1, BERLIN).date == dt.date(2031, 1, 1)
    autumn = ParsedOption(start=dt.datetime(2030, 10, 20, 7, 0, tzinfo=UTC))  # 09:00 CEST
    assert shift(autumn, 7, BERLIN).start == dt.datetime(
        2030, 10, 27, 8, 0, tzinfo=UTC
    )  # 09:00 CET
