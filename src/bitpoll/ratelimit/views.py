"""The Django admin's login, throttled per client address and per user name."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from bitpoll.ratelimit import limits

MAX_USERNAME = 150  # Django's User.username


def admin_login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Every attempt counts, so a guesser learns nothing from which ones were refused.
        username = str(request.POST.get("username", ""))[:MAX_USERNAME].strip().casefold()
        limits.check(request, "logins", user=username)
    return admin.site.login(request)
