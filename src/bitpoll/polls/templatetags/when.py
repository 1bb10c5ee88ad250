"""Template filters for dates and times: the formats of bitpoll.polls.when."""

from __future__ import annotations

import datetime as dt
import functools

from django import template
from django.utils import translation
from django.utils.html import json_script
from django.utils.safestring import SafeString

from bitpoll.polls import when

register = template.Library()


@register.filter
def stamp(value: dt.datetime | None, zone: str) -> str:
    """`{{ comment.created|stamp:poll.time_zone }}`: the moment with the zone named."""
    return when.stamp(value, zone) if value is not None else ""


@register.filter
def iso_utc(value: dt.datetime | None) -> str:
    return when.iso_utc(value) if value is not None else ""


@register.simple_tag
def when_config() -> SafeString:
    """The formats and names the poll page's script writes times with, as JSON data."""
    return _when_config(translation.get_language())


@functools.lru_cache(maxsize=64)
def _when_config(language: str | None) -> SafeString:
    # The same for every page in one language: 43 localised names, a millisecond per render.
    return json_script(when.script_config(), "when-config")
