from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]):
    """Add the headers Django's SecurityMiddleware does not set: CSP and Permissions-Policy."""
    csp = settings.CONTENT_SECURITY_POLICY
    permissions = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", permissions)
        return response

    return middleware


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether Accept-Encoding allows gzip, q-values respected (gzip;q=0 refuses it)."""
    star: float | None = None
    for item in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name in ("gzip", "x-gzip"):
            return q > 0
        if name == "*":
            star = q
    return bool(star)


class QualityGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, which does not read q-values, except for a client that
    refuses gzip (`gzip;q=0`): it gets the response as it is."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not accepts_gzip(request):
            return response
        return super().process_response(request, response)  # type: ignore[no-any-return]
