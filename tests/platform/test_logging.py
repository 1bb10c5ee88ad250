"""No secret of an admin or edit link is ever logged: access lines, errors and tracebacks."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bitpoll.core.logging import REDACTED, redact

TOKEN = "Kq7sZ0vX-3mNw_9pLr2TyUe6BcHd1FgJa8oIuYtR5eW"


def every_pattern(
    resolver: URLResolver | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_pattern(entry, route)
        else:
            yield route, entry


def secret_urls() -> list[str]:
    """Every URL of the site whose pattern carries a token, with TOKEN filled in."""
    import re

    urls = []
    values = {"slug": "team-lunch", "token": TOKEN}
    for route, _ in every_pattern():
        if "token>" not in route:
            continue
        url = re.sub(
            r"<(?:(\w+):)?(\w+)>",
            lambda m: values.get(m.group(2), "42"),
            route,
        )
        urls.append("/" + url.lstrip("^").rstrip("$"))
    return urls


def test_it_finds_the_secret_urls() -> None:
    urls = secret_urls()
    assert "/team-lunch/admin/" + TOKEN + "/" in urls
    assert "/team-lunch/entry/42/" + TOKEN + "/" in urls
    assert len(urls) > 15


@pytest.mark.parametrize("url", secret_urls())
def test_it_redacts_the_token_of_every_secret_url(url: str) -> None:
    from django.urls import resolve

    assert resolve(url).kwargs["token"] == TOKEN  # the URL is real
    for text in (
        f'127.0.0.1 "GET {url} HTTP/1.1" 200 512 3ms "Mozilla/5.0"',
        f"Internal Server Error: {url}",
        f"Referer: https://polls.example.org{url}?x=1",
        f"{url}%20",
    ):
        redacted = redact(text)
        assert TOKEN not in redacted
        assert REDACTED in redacted


def test_it_leaves_other_paths_alone() -> None:
    for text in ("GET /team-lunch/ HTTP/1.1", "GET /admin/login/ HTTP/1.1", "/static/x.css"):
        assert redact(text) == text


@pytest.fixture
def captured() -> Iterator[dict[str, io.StringIO]]:
    """Bitpoll's logging configuration, with its handler writing into a buffer per format."""
    from django.conf import settings

    streams = {"text": io.StringIO(), "json": io.StringIO()}
    config = {
        **settings.LOGGING,
        "handlers": {
            name: {"class": "logging.StreamHandler", "stream": stream, "formatter": name}
            for name, stream in streams.items()
        },
        "root": {"handlers": list(streams), "level": "INFO"},
    }
    logging.config.dictConfig(config)
    try:
        yield streams
    finally:
        logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db
def test_an_error_on_a_secret_page_is_logged_without_the_secret(
    captured: dict[str, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django logs "Internal Server Error: <path>" with the traceback; neither shows the token."""
    from django.test import Client

    def broken(self: object, request: object) -> None:
        raise RuntimeError(f"cannot render /team-lunch/admin/{TOKEN}/")

    # Inside the middleware, where a failing view fails.
    monkeypatch.setattr("django.core.handlers.base.BaseHandler._get_response", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/team-lunch/admin/{TOKEN}/")
    assert response.status_code == 500
    text = captured["text"].getvalue()
    assert "Internal Server Error: /team-lunch/admin/[redacted]/" in text
    assert "Traceback" in text and "RuntimeError" in text
    (entry,) = [json.loads(line) for line in captured["json"].getvalue().splitlines()]
    assert "RuntimeError" in entry["exception"]
    assert TOKEN not in text
    assert TOKEN not in captured["json"].getvalue()


def test_the_json_formatter_redacts_access_fields() -> None:
    from bitpoll.core.logging import JsonFormatter

    path = f"/team-lunch/entry/7/{TOKEN}/"
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s", None, None)
    record.args = {"r": f"GET {path} HTTP/1.1", "U": path, "s": "200", "m": "GET"}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["path"] == f"/team-lunch/entry/7/{REDACTED}/"
    assert TOKEN not in json.dumps(entry)
