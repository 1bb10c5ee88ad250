import gzip
import ipaddress
import secrets
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

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


# Above this size a response is compressed at level 1: the results list of a poll of 5,000
# answers is megabytes of names, and level 6 took half a second of CPU for it where level 1
# takes a tenth of that, for a response a third bigger (the same trade as the page cache's).
BIG_RESPONSE = 256 * 1024
FAST_LEVEL = 1


class QualityGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, which does not read q-values, except for a client that
    refuses gzip (`gzip;q=0`): it gets the response as it is. Big responses and streamed
    ones are compressed at a faster level, with the same random-length file name in the gzip
    header that Django adds against BREACH."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not accepts_gzip(request):
            return response
        if response.has_header("Content-Encoding"):
            return response
        if response.streaming and not response.is_async:  # type: ignore[attr-defined]
            response.streaming_content = _compress_chunks(  # type: ignore[attr-defined]
                response.streaming_content,  # type: ignore[attr-defined]
                self.max_random_bytes,
            )
            del response.headers["Content-Length"]
        elif not response.streaming and len(response.content) > BIG_RESPONSE:  # type: ignore[attr-defined]
            response.content = _compress(response.content, self.max_random_bytes)  # type: ignore[attr-defined]
            response.headers["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        else:
            return super().process_response(request, response)  # type: ignore[no-any-return]
        patch_vary_headers(response, ("Accept-Encoding",))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


def _random_name(max_random_bytes: int) -> bytes:
    return b"a" * secrets.randbelow(max_random_bytes)


def _compress(content: bytes, max_random_bytes: int) -> bytes:
    compressed = gzip.compress(content, compresslevel=FAST_LEVEL, mtime=0)
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    return bytes(header) + _random_name(max_random_bytes) + b"\x00" + compressed[10:]


class _Buffer:
    """Collects what GzipFile writes, handing it out piece by piece."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.pieces)
        self.pieces.clear()
        return out


def _compress_chunks(chunks: Iterable[bytes], max_random_bytes: int) -> Iterator[bytes]:
    buffer = _Buffer()
    with gzip.GzipFile(
        filename=_random_name(max_random_bytes),
        mode="wb",
        compresslevel=FAST_LEVEL,
        fileobj=buffer,  # type: ignore[arg-type]
        mtime=0,
    ) as zipped:
        for chunk in chunks:
            zipped.write(chunk)
            data = buffer.take()
            if data:
                yield data
    yield buffer.take()
