"""Forms are read as Django reads them (bitpoll.core.handler)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from bitpoll.core.handler import FORM, Request, parse_form

pytestmark = pytest.mark.django_db(databases=[])

# Keys and values with what forms send, and what breaks parsers: escapes, separators, plus
# signs, broken UTF-8, repeated keys, empty parts.
pieces = st.sampled_from(
    [
        "a",
        "o1",
        "c12",
        "name",
        "=",
        "&",
        ";",
        "+",
        "%",
        "%2",
        "%20",
        "%C3%A4",
        "%FF",
        "%00",
        "ä",
        "é",
    ]
)
bodies = st.one_of(
    st.lists(pieces, max_size=30).map("".join).map(str.encode),
    st.binary(max_size=60),
)


@given(bodies)
def test_a_body_reads_as_djangos_querydict(body: bytes) -> None:
    ours, theirs = parse_form(body), QueryDict(body, encoding="utf-8")
    assert list(ours.lists()) == list(theirs.lists())
    assert ours.encoding == theirs.encoding
    with pytest.raises(AttributeError, match="immutable"):
        ours["x"] = "y"


def test_too_many_fields_are_refused_as_django_refuses_them(settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    body = b"a=1&b=2&c=3&d=4"
    with pytest.raises(TooManyFieldsSent):
        QueryDict(body)
    with pytest.raises(TooManyFieldsSent):
        parse_form(body)


def _request(body: bytes, content_type: str, method: str = "POST") -> Request:
    environ = RequestFactory().generic(method, "/x/", body, content_type=content_type).environ
    environ["wsgi.input"] = io.BytesIO(body)
    return Request(environ)


def test_the_request_reads_forms_and_leaves_the_rest_to_django() -> None:
    request = _request(b"name=Ann+B&o1=2&o1=3", FORM)
    assert request.POST.getlist("o1") == ["2", "3"]
    assert request.POST["name"] == "Ann B"
    assert not request.FILES
    upload = SimpleUploadedFile("f.txt", b"file")
    multipart = RequestFactory().post("/x/", {"name": "Ann", "f": upload})
    request = Request(multipart.environ)
    assert request.POST["name"] == "Ann"  # Django's multipart parser (Bitpoll takes no files)
    assert not _request(b"name=Ann", "text/plain").POST
    assert not _request(b"name=Ann", FORM, method="PUT").POST


def test_a_form_in_another_charset_is_refused_as_django_refuses_it() -> None:
    from django.core.exceptions import BadRequest

    request = _request(b"name=Ann", FORM + "; charset=latin-1")
    with pytest.raises(BadRequest):
        request.POST  # noqa: B018


def test_the_server_and_wsgi_module_use_this_handler() -> None:
    import bitpoll.wsgi
    from bitpoll.core.handler import WSGIHandler

    assert isinstance(bitpoll.wsgi.application, WSGIHandler)
