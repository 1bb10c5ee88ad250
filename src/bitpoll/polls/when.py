"""How dates and times are written: one format per context, in the visitor's language.

Every page that shows a day or a time goes through these functions (and the poll page's
script, which gets the same formats and names from `script_config()` so that a time shown in
the viewer's own zone reads exactly like one in the poll's). The formats are Django date
format strings that translators adapt (German puts a comma after the weekday and a dot after
the day); every language Bitpoll ships writes times with 24 hours, as British English, German
and Italian do, and as poll options are typed.

Contexts:
- `day`: a day on its own, always with its weekday ("Wed 9 Dec 2026");
- `short_day`: a day under a month heading ("Wed 9");
- `month`: a month heading ("December 2026");
- `time` / `time_span`: a time or a range under a day heading ("09:00\u201310:00");
- `span`: a slot on its own ("Wed 9 Dec 2026, 09:00\u201310:00");
- `stamp`: when something happened, with the zone named ("Wed 9 Dec 2026, 00:01 (Europe/Berlin)").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils.formats import date_format
from django.utils.translation import pgettext

# A Monday and the first of January, to ask Django for the localised names.
_MONDAY = dt.date(2024, 1, 1)


def _day_format() -> str:
    # Translators: a Django date format for a day with its weekday, e.g. "Wed 9 Dec 2026".
    return pgettext("date format", "D j M Y")


def _short_day_format() -> str:
    # Translators: a Django date format for a day under a month heading, e.g. "Wed 9".
    return pgettext("date format", "D j")


def _month_format() -> str:
    # Translators: a Django date format for a month heading, e.g. "December 2026".
    return pgettext("date format", "F Y")


def _time_format() -> str:
    # Translators: a Django time format; "H:i" is 24 hours ("14:30").
    return pgettext("date format", "H:i")


def _joined(day: str, time: str) -> str:
    # Translators: a day and a time, e.g. "Wed 9 Dec 2026, 09:00".
    return pgettext("date format", "%(day)s, %(time)s") % {"day": day, "time": time}


def _zoned(text: str, zone: str) -> str:
    # Translators: a time and the name of its time zone, e.g. "09:00 (Europe/Berlin)".
    return pgettext("date format", "%(time)s (%(zone)s)") % {"time": text, "zone": zone}


def day(value: dt.date) -> str:
    return date_format(value, _day_format())


def short_day(value: dt.date) -> str:
    return date_format(value, _short_day_format())


def month(value: dt.date) -> str:
    return date_format(value, _month_format())


def time(value: dt.datetime) -> str:
    """The wall-clock time of `value` as it is (convert to the zone first)."""
    return date_format(value, _time_format())


def time_span(start: dt.datetime, end: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """A slot under its day's heading: "09:00", "09:00\u201310:00", "23:00\u2013Thu 10 01:00"."""
    start = start.astimezone(zone)
    text = time(start)
    if end is not None:
        end = end.astimezone(zone)
        if end.date() == start.date():
            text += "\u2013" + time(end)
        else:
            text += "\u2013" + short_day(end.date()) + " " + time(end)
    return text


def span(start: dt.datetime, end: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """A slot on its own: "Wed 9 Dec 2026, 09:00\u201310:00"."""
    local = start.astimezone(zone)
    if end is not None and end.astimezone(zone).date() != local.date():
        local_end = end.astimezone(zone)
        return (
            _joined(day(local.date()), time(local))
            + " \u2013 "
            + _joined(day(local_end.date()), time(local_end))
        )
    return _joined(day(local.date()), time_span(start, end, zone))


def stamp(value: dt.datetime, zone: zoneinfo.ZoneInfo | str) -> str:
    """When something happened, in `zone`, with the zone named."""
    if isinstance(zone, str):
        zone = zoneinfo.ZoneInfo(zone)
    local = value.astimezone(zone)
    return _zoned(_joined(day(local.date()), time(local)), zone.key)


def iso_utc(value: dt.datetime) -> str:
    """The instant for <time datetime>, in UTC: what the page's script converts."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def script_config() -> dict[str, object]:
    """The formats and the localised names the poll page's script writes times with."""
    days = [_MONDAY + dt.timedelta(days=i) for i in range(7)]
    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    return {
        "formats": {
            "day": _day_format(),
            "short_day": _short_day_format(),
            "time": _time_format(),
            "joined": pgettext("date format", "%(day)s, %(time)s"),
            "zoned": pgettext("date format", "%(time)s (%(zone)s)"),
        },
        # Sunday first, as JavaScript's getUTCDay() counts.
        "D": [date_format(days[6], "D")] + [date_format(d, "D") for d in days[:6]],
        "l": [date_format(days[6], "l")] + [date_format(d, "l") for d in days[:6]],
        "M": [date_format(m, "M") for m in months],
        "F": [date_format(m, "F") for m in months],
        "N": [date_format(m, "N") for m in months],
    }
