"""Refuse request bodies Bitpoll never needs, before anything reads them.

Every form is small and urlencoded; nothing is uploaded. So a multipart body is refused
outright (Django would otherwise parse it and spool its file parts to a temporary file before
the view, or the CSRF check, has a say), a body longer than BITPOLL_MAX_BODY_SIZE by its
Content-Length, and a body without a Content-Length (chunked transfer encoding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def _problem(meta: Mapping[str, Any], limit: int) -> tuple[int, Promise] | None:
    """(status, message) for a body to refuse, or None."""
    content_type = str(meta.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    if content_type.startswith("multipart/"):
        return 415, _("Uploads are not accepted here: send the form as a normal form.")
    if meta.get("HTTP_TRANSFER_ENCODING"):
        return 411, _("Send the request with a Content-Length.")
    length = str(meta.get("CONTENT_LENGTH") or "0")
    if not length.isascii() or not length.isdigit():
        return 400, _("The Content-Length is not a number.")
    if int(length) > limit:
        return 413, _("The request is too large.")
    return None


def body_limit(get_response: Callable[[HttpRequest], HttpResponse]):
    limit = settings.MAX_BODY_SIZE

    def middleware(request: HttpRequest) -> HttpResponse:
        problem = _problem(request.META, limit)
        if problem is None:
            return get_response(request)
        status, message = problem
        # This runs before LocaleMiddleware, so the visitor's language is picked here.
        with translation.override(translation.get_language_from_request(request)):
            text = f"{message}\n"
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")

    return middleware
