from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from bitpoll.ratelimit.limits import RateLimited, retry_text

log = logging.getLogger("bitpoll.ratelimit")


class RateLimitMiddleware:
    """Answer a RateLimited exception with the 429 page and a Retry-After header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        # The scope only: the path can hold an admin or edit secret.
        log.info("rate limit %s reached by a client", exception.scope)
        amount, unit = retry_text(exception.retry_after)
        response = render(
            request,
            "ratelimit/429.html",
            {"amount": amount, "unit": unit, "retry_after": exception.retry_after},
            status=429,
        )
        response["Retry-After"] = str(exception.retry_after)
        add_never_cache_headers(response)
        return response
