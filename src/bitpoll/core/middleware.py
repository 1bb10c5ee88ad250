import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Pages whose URL carries a secret (admin and edit links) tell the browser to send only the
# origin as Referer, so the secret reaches no one: not another site, and not the reverse
# proxy's log through the requests for the page's own styles and scripts. `no-referrer` would
# hide the origin too, but browsers then send `Origin: null` with the page's own forms, which
# Django's CSRF protection rightly refuses.
SECRET_PAGE_REFERRER_POLICY = "strict-origin"  # noqa: S105 - a header value, not a secret


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]):
    """Add the headers Django's SecurityMiddleware does not set: CSP and Permissions-Policy."""
    csp = settings.CONTENT_SECURITY_POLICY
    permissions = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", permissions)
        if has_secret_in_url(request):
            response.headers["Referrer-Policy"] = SECRET_PAGE_REFERRER_POLICY
        return response

    return middleware


def has_secret_in_url(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and any(
        name == "token" or name.endswith("_token") for name in match.kwargs
    )


def client_address(get_response: Callable[[HttpRequest], HttpResponse]):
    """Behind the reverse proxy, make REMOTE_ADDR the client's address, not the proxy's.

    The proxy appends the address it received the request from to X-Forwarded-For (nginx:
    `$proxy_add_x_forwarded_for`), so the rightmost entry is the one to trust; the entries
    before it come from the client and may be forged. Without BITPOLL_BEHIND_PROXY the header
    is ignored and REMOTE_ADDR stays the peer of the connection. Everything that needs the
    client's address (rate limits, logs) reads REMOTE_ADDR, and the access log shows it too,
    since the WSGI environ and request.META are the same dictionary.
    """
    if not settings.BEHIND_PROXY:
        raise MiddlewareNotUsed

    def middleware(request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            last = forwarded.rsplit(",", 1)[-1].strip()
            try:
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(last))
            except ValueError:
                pass  # not an address: keep the peer's
        return get_response(request)

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
