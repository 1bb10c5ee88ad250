from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from bitpoll.ratelimit.limits import RateLimited, retry_text

log = logging.getLogger("bitpoll.ratelimit")
LOG_EVERY = 60.0  # seconds: a flood of refusals makes one log line a minute per limit

_refused: dict[str, tuple[float, int]] = {}  # scope -> (last logged, refused since)
_refused_lock = threading.Lock()


def _log_refusal(scope: str) -> None:
    now = time.monotonic()
    with _refused_lock:
        last, count = _refused.get(scope, (-LOG_EVERY, 0))
        count += 1
        if now - last < LOG_EVERY:
            _refused[scope] = (last, count)
            return
        _refused[scope] = (now, 0)
    # The scope only: the path can hold an admin or edit secret, and the address is personal.
    log.info("rate limit %s reached: %d request(s) refused by this worker", scope, count)


class RateLimitMiddleware:
    """Answer a RateLimited exception with the 429 page and a Retry-After header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        _log_refusal(exception.scope)
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
