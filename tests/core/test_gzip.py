"""Compression of pages the page cache does not serve: big and streamed ones at a fast level."""

from __future__ import annotations

import gzip

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory

from bitpoll.core.middleware import BIG_RESPONSE, QualityGZipMiddleware


def _through(response: HttpResponseBase, accept: str = "gzip, deflate, br") -> HttpResponseBase:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)

    def view(_request: HttpRequest) -> HttpResponseBase:
        return response

    return QualityGZipMiddleware(view)(request)  # type: ignore[arg-type]


def _names(n: int) -> bytes:
    return b"".join(b"Participant %d, " % i for i in range(n))


def _header_name_length(body: bytes) -> int:
    """Length of the file name in a gzip header (the random padding against BREACH)."""
    assert body[:3] == b"\x1f\x8b\x08"
    if not body[3] & gzip.FNAME:
        return 0
    return body.index(b"\x00", 10) - 10


def test_it_compresses_a_big_page_that_decompresses_to_the_same_bytes() -> None:
    content = _names(40_000)
    assert len(content) > BIG_RESPONSE
    response = _through(HttpResponse(content))
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = response.content  # type: ignore[attr-defined]
    assert int(response["Content-Length"]) == len(body)
    assert gzip.decompress(body) == content
    assert len(body) < len(content) // 4
    assert body[8] == 4  # XFL: compressed at the fastest level


def test_the_random_name_in_the_header_varies_in_length() -> None:
    content = _names(40_000)
    lengths = {_header_name_length(_through(HttpResponse(content)).content) for _ in range(12)}  # type: ignore[attr-defined]
    assert len(lengths) > 1


def test_it_compresses_a_streamed_response_chunk_by_chunk() -> None:
    chunks = [_names(1000) for _ in range(5)]
    response = _through(StreamingHttpResponse(iter(chunks)))
    assert response["Content-Encoding"] == "gzip"
    assert not response.has_header("Content-Length")
    pieces = list(response.streaming_content)  # type: ignore[attr-defined]
    assert len(pieces) > 1
    assert gzip.decompress(b"".join(pieces)) == b"".join(chunks)


def test_a_small_page_keeps_djangos_compression() -> None:
    content = _names(500)
    body = _through(HttpResponse(content)).content  # type: ignore[attr-defined]
    assert gzip.decompress(body) == content
    assert body[8] == 0  # the header's XFL byte: 0 for the default level, 4 for the fastest


def test_a_client_that_refuses_gzip_gets_the_page_as_it_is() -> None:
    content = _names(40_000)
    response = _through(HttpResponse(content), accept="gzip;q=0, identity")
    assert not response.has_header("Content-Encoding")
    assert response.content == content  # type: ignore[attr-defined]
    streamed = _through(StreamingHttpResponse(iter([content])), accept="identity")
    assert not streamed.has_header("Content-Encoding")
