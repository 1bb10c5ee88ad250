"""iCalendar for a poll's decision (RFC 5545, with RFC 5546 methods for mails).

Only the decided options become events. Each has a stable UID (the poll and its place in the
decision, so that moving the decision to another date updates the same calendar entry) and
the poll's SEQUENCE, bumped on every change; un-finalizing sends the same UIDs with
METHOD:CANCEL. Times are written in UTC, which every client converts to its own zone; date
polls give all-day events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from bitpoll.polls.models import Option, Poll


def text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    if len(line) <= 75 and len(line.encode()) <= 75:
        return line
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " "
        current += ch
    out.append(current)
    return "\r\n".join(out)


def attendee_line(address: str) -> str:
    """The ATTENDEE line of `address`, folded (RFC 5545 3.1) as calendar() folds it. A
    calendar built once for many recipients (notify._to_everyone) has the line of a
    placeholder, short enough to stay unfolded, replaced by each recipient's."""
    return fold(f"ATTENDEE;RSVP=FALSE:mailto:{address}")


def uid(poll: Poll, index: int) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"bitpoll-{poll.pk}-decision-{index}@{host}"


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(
    poll: Poll,
    options: Sequence[Option],
    method: str = "PUBLISH",
    attendee: str = "",
    cancel_from: int = 0,
    url: str = "",
) -> str:
    """The decided `options` as events, numbered from `cancel_from` (their UIDs' index).

    With METHOD:CANCEL they are the events to remove from calendars.
    """
    now = _stamp(timezone.now())
    url = url or settings.BASE_URL.rstrip("/") + poll.get_absolute_url()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Bitpoll//Bitpoll//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    for index, option in enumerate(options):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(poll, index + cancel_from)}",
            f"DTSTAMP:{now}",
            f"SEQUENCE:{poll.ics_sequence}",
        ]
        if option.date is not None:
            lines.append(f"DTSTART;VALUE=DATE:{option.date:%Y%m%d}")
            lines.append(f"DTEND;VALUE=DATE:{option.date + dt.timedelta(days=1):%Y%m%d}")
        elif option.start is not None:
            lines.append(f"DTSTART:{_stamp(option.start)}")
            if option.end is not None:
                lines.append(f"DTEND:{_stamp(option.end)}")
        lines.append(f"SUMMARY:{text(poll.title)}")
        if poll.decision_location:
            lines.append(f"LOCATION:{text(poll.decision_location)}")
        if poll.decision_message:
            lines.append(f"DESCRIPTION:{text(poll.decision_message)}")
        lines.append(f"URL:{url}")
        if method in ("REQUEST", "CANCEL"):
            lines.append(f"ORGANIZER:mailto:{settings.DEFAULT_FROM_EMAIL}")
            if attendee:
                lines.append(f"ATTENDEE;RSVP=FALSE:mailto:{attendee}")  # attendee_line()
        lines.append("STATUS:CANCELLED" if method == "CANCEL" else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def dated(poll: Poll) -> bool:
    """Whether the poll's options are dates or times (text polls have no calendar)."""
    return poll.kind != Poll.Kind.TEXT
