"""A logged-in user's time zone, for times the site shows in "the visitor's" zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from bitpoll.polls.models import known_time_zones

SESSION_TIME_ZONE = "bitpoll.time_zone"


def user_time_zone(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Activate the zone kept in the session at login (see accounts.views); visitors without a
    session cookie cost nothing."""

    def middleware(request: HttpRequest) -> HttpResponse:
        name = None
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            name = request.session.get(SESSION_TIME_ZONE)
        if isinstance(name, str) and name in known_time_zones():
            with timezone.override(zoneinfo.ZoneInfo(name)):
                return get_response(request)
        return get_response(request)

    return middleware
