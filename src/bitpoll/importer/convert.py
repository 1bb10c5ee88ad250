"""Values of the original Bitpoll turned into ours: pure functions, no database."""

from __future__ import annotations

import colorsys
import datetime as dt
import re
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError

from bitpoll.polls.models import RESERVED_SLUGS, SLUG_RE, Choice, known_time_zones
from bitpoll.polls.options import local_to_utc


def as_bool(value: Any) -> bool:
    return bool(value) if value is not None else False


def as_datetime(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from SQLite text (UTC, no offset) or a PostgreSQL timestamptz."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def as_decimal(value: Any) -> Decimal:
    """The weight rounded to 2 places (SQLite stores 0.33 as a binary REAL)."""
    return Decimal(str(value if value is not None else 0)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


# --- link names -------------------------------------------------------------------------


def slug_candidate(old: str) -> str:
    """Our link name for the original's: lower case, `_` as `-`, at least 3 characters."""
    slug = re.sub(r"[^a-z0-9-]+", "-", old.lower().replace("_", "-"))
    slug = re.sub(r"-{2,}", "-", slug).strip("-")[:80].strip("-")
    if not slug:
        slug = "poll"
    if len(slug) < 3 or slug in RESERVED_SLUGS:
        slug = f"{slug}-poll"
    return slug


def slug_is_ours(old: str) -> bool:
    return bool(SLUG_RE.match(old)) and old not in RESERVED_SLUGS


def with_suffix(slug: str, n: int) -> str:
    suffix = f"-{n}"
    return slug[: 80 - len(suffix)].rstrip("-") + suffix


# --- answer scale -----------------------------------------------------------------------

# Font Awesome names (without fa-) of the original to the closest of our icons.
ICONS = {
    Choice.Icon.CHECK: ("check", "check-circle", "check-square", "thumbs-up", "ok", "thumbs-o-up"),
    Choice.Icon.CROSS: ("ban", "times", "times-circle", "close", "remove", "x", "xmark"),
    Choice.Icon.QUESTION: ("question", "question-circle", "info", "info-circle"),
    Choice.Icon.TILDE: ("tilde", "adjust", "circle-o", "asterisk"),
    Choice.Icon.DASH: ("minus", "minus-circle", "thumbs-down", "thumbs-o-down", "meh-o"),
    Choice.Icon.STAR: ("star", "star-o", "star-half-o"),
    Choice.Icon.HEART: ("heart", "heart-o"),
    Choice.Icon.CLOCK: ("clock", "clock-o", "hourglass", "hourglass-half", "calendar"),
}
_ICON_BY_NAME = {name: icon for icon, names in ICONS.items() for name in names}


def icon_for(name: str) -> tuple[str, bool]:
    """Our icon for a Font Awesome name, and whether it is a real match (else a question mark)."""
    key = name.strip().lower().removeprefix("fa-")
    if key in _ICON_BY_NAME:
        return _ICON_BY_NAME[key], True
    return Choice.Icon.QUESTION, False


def _rgb(color: str) -> tuple[float, float, float] | None:
    value = color.strip().lstrip("#")
    if re.fullmatch(r"[0-9a-fA-F]{3}", value):
        value = "".join(c * 2 for c in value)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        return None
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def colour_for(color: str) -> tuple[str, bool]:
    """Our colour (a fixed palette) closest in hue to a CSS hex colour; False if unreadable."""
    rgb = _rgb(color)
    if rgb is None:
        return Choice.Colour.GREY, False
    hue, saturation, value = colorsys.rgb_to_hsv(*rgb)
    if saturation < 0.2 or value < 0.15:
        return Choice.Colour.GREY, True
    degrees = hue * 360
    for upper, colour in (
        (20, Choice.Colour.RED),
        (65, Choice.Colour.AMBER),
        (160, Choice.Colour.GREEN),
        (200, Choice.Colour.TEAL),
        (255, Choice.Colour.BLUE),
        (340, Choice.Colour.PURPLE),
        (361, Choice.Colour.RED),
    ):
        if degrees < upper:
            return colour, True
    return Choice.Colour.GREY, True  # pragma: no cover (hue is below 360)


def clamp_weight(weight: Decimal) -> Decimal:
    """Our weights lie in [0, 1]; the original allowed ±999.99."""
    return min(max(weight, Decimal(0)), Decimal(1))


# --- options ----------------------------------------------------------------------------


def split_grouping(text: str) -> list[str]:
    """The original's grouping: `/` separates levels, a backslash escapes the next character,
    parts are trimmed and empty parts dropped."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == "/":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def group_and_text(text: str) -> tuple[str, str, bool]:
    """(group heading, option text, nested) for a universal choice; deeper levels join with ' / '."""
    parts = split_grouping(text)
    if not parts:
        return "", text.strip(), False
    return " / ".join(parts[:-1]), parts[-1], len(parts) > 2


def zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    if name not in known_time_zones():
        return None
    return zoneinfo.ZoneInfo(name)


def lmt_offset(zone: zoneinfo.ZoneInfo) -> dt.timedelta:
    """The zone's local mean time offset, rounded to the minute as pytz rounds it."""
    offset = dt.datetime(1800, 1, 1, tzinfo=zone).utcoffset() or dt.timedelta(0)
    return dt.timedelta(minutes=round(offset.total_seconds() / 60))


def _round(moment: dt.datetime, minutes: int) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % minutes == 0


def fix_lmt(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The intended instant of a datetime choice hit by the original's zone-change rewrite.

    Changing a poll's zone rewrote its choices with the zone's LMT offset instead of the real
    one, so 09:00 became an odd time such as 08:41. When the stored time is not on a
    5-minute step in the poll's zone but reading it back with the LMT offset gives a wall time
    on a quarter hour, that wall time is what was meant: return it as an instant (None when
    the stored value looks intended).
    """
    local = instant.astimezone(zone)
    if _round(local, 5):
        return None
    wall = (instant + lmt_offset(zone)).replace(tzinfo=None)
    if not _round(wall, 15):
        return None
    try:
        return local_to_utc(wall.date(), wall.hour, wall.minute, zone)
    except ValidationError:  # the meant time falls into a clock change: keep what is stored
        return None


LANGUAGES = {"english": "en", "german": "de", "en": "en", "de": "de", "italian": "it"}
