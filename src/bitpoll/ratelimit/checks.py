"""`bitpoll check --deploy` warns when the rate limits are off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register("bitpoll", deploy=True)
def check_rate_limits(**kwargs: Any) -> list[CheckMessage]:
    if settings.RATELIMIT_ENABLED:
        return []
    return [
        Warning(
            "Rate limits are off: anyone can flood polls with answers and comments, create "
            "polls without end and guess admin passwords without pause.",
            hint="Unset BITPOLL_RATELIMIT_ENABLED (or set it to true); raise single limits "
            "with the BITPOLL_RATELIMIT_* variables instead (see docs/ratelimits.md).",
            id="bitpoll.W101",
        )
    ]
