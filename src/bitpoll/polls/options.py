"""Options as lines of text: the format of the create form (with or without JavaScript).

- date polls: one ISO date per line, `2026-03-29`;
- date-and-time polls: `2026-03-29 09:00` or `2026-03-29 09:00-10:30` (also `T` between date
  and time), wall-clock time in the poll's time zone, stored in UTC;
- text polls: any text; `Group/Name` puts the option under the heading "Group"; `\\/` is a
  literal slash.
Blank lines and duplicates are ignored. Errors name the line so the user can fix it.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_OPTIONS = 100
MAX_TEXT = 200
MAX_GROUP = 100
MIN_YEAR = 1900
MAX_YEAR = 2999

_DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T]+(\d{1,2}):(\d{2})(?:\s*[-\u2013]\s*(\d{1,2}):(\d{2}))?$"
)


class ParsedOption(NamedTuple):
    date: dt.date | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    text: str = ""
    group: str = ""


def split_group(line: str) -> tuple[str, str]:
    """Split "Group/Name" at the first unescaped slash; "\\/" stands for a slash."""
    match = re.search(r"(?<!\\)/", line)
    if match is None:
        return "", line.replace("\\/", "/").strip()
    group = line[: match.start()].replace("\\/", "/").strip()
    name = line[match.end() :].replace("\\/", "/").strip()
    if not group or not name:
        return "", line.replace("\\/", "/").strip()
    return group, name


def _sane(day: dt.date) -> dt.date:
    # Far-away years are typos, and they would overflow when shifted or converted.
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(day)
    return day


def local_to_utc(day: dt.date, hour: int, minute: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Interpret a wall-clock time in `zone`; reject times skipped by a daylight-saving change.

    A time that occurs twice (the clock goes back) means its first occurrence (fold=0).
    """
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("time out of range")
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            _("%(time)s does not exist in %(zone)s (the clocks change then).")
            % {"time": f"{day.isoformat()} {hour:02d}:{minute:02d}", "zone": zone.key}
        )
    return utc


def parse_line(kind: str, line: str, zone: zoneinfo.ZoneInfo) -> ParsedOption:
    if kind == "date":
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", line):
                raise ValueError(line)
            return ParsedOption(date=_sane(dt.date.fromisoformat(line)))
        except ValueError:
            raise ValidationError(
                _("“%(line)s” is not a date; write it as YYYY-MM-DD.") % {"line": line[:40]}
            ) from None
    if kind == "datetime":
        match = _DATETIME_RE.match(line)
        try:
            if match is None:
                raise ValueError(line)
            day = _sane(dt.date.fromisoformat(match[1]))
            start = local_to_utc(day, int(match[2]), int(match[3]), zone)
            end = None
            if match[4] is not None:
                end = local_to_utc(day, int(match[4]), int(match[5]), zone)
                if end <= start:
                    raise ValidationError(
                        _("“%(line)s” ends before it starts.") % {"line": line[:40]}
                    )
        except ValueError:
            raise ValidationError(
                _(
                    "“%(line)s” is not a date and time; write YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM-HH:MM."
                )
                % {"line": line[:40]}
            ) from None
        return ParsedOption(start=start, end=end)
    group, text = split_group(line)
    if len(text) > MAX_TEXT or len(group) > MAX_GROUP:
        raise ValidationError(
            _("“%(line)s…” is too long: at most %(max)d characters per option.")
            % {"line": line[:40], "max": MAX_TEXT}
        )
    return ParsedOption(text=text, group=group)


def parse_lines(kind: str, text: str, zone: zoneinfo.ZoneInfo) -> list[ParsedOption]:
    """Parse the option lines, sorted for dates and times, in input order for text."""
    errors: list[ValidationError] = []
    parsed: list[ParsedOption] = []
    seen: set[ParsedOption] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            option = parse_line(kind, line, zone)
        except ValidationError as exc:
            errors.append(exc)
            continue
        if option not in seen:
            seen.add(option)
            parsed.append(option)
    if errors:
        raise ValidationError(errors[:5])
    if len(parsed) > MAX_OPTIONS:
        raise ValidationError(
            _("At most %(max)d options per poll.") % {"max": MAX_OPTIONS}, code="too_many"
        )
    if kind == "date":
        parsed.sort(key=lambda o: o.date or dt.date.min)
    elif kind == "datetime":
        parsed.sort(key=lambda o: (o.start, o.end or o.start))
    return parsed


def shift(option: ParsedOption, days: int, zone: zoneinfo.ZoneInfo) -> ParsedOption:
    """The same option `days` later, keeping the wall-clock time across daylight-saving changes.

    Moved times are read as the create form reads them (local_to_utc): a time the clocks skip
    on the new day is refused with a ValidationError naming it, never moved silently, and a
    slot that would no longer end after it starts is refused too.
    """
    delta = dt.timedelta(days=days)
    if option.date is not None:
        return ParsedOption(date=_sane(option.date + delta))
    if option.start is not None:

        def move(value: dt.datetime) -> dt.datetime:
            local = value.astimezone(zone).replace(tzinfo=None) + delta
            return local_to_utc(_sane(local.date()), local.hour, local.minute, zone)

        start = move(option.start)
        end = move(option.end) if option.end else None
        if end is not None and end <= start:
            local = start.astimezone(zone)
            raise ValidationError(
                _("The slot at %(time)s would end before it starts in %(zone)s.")
                % {"time": f"{local:%Y-%m-%d %H:%M}", "zone": zone.key}
            )
        return ParsedOption(start=start, end=end)
    return option
