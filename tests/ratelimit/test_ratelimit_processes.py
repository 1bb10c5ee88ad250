"""The limits hold across server processes: two `bitpoll serve` on one database share them.

Two servers (each with its own workers) stand in for two nodes behind a load balancer; they
share the database and the secret key, as nodes must. A client that alternates between them
is cut off after the limit in total, not after the limit per server.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import urllib.parse
from pathlib import Path

import pytest

from serverutil import serving

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One visitor with a CSRF cookie, speaking to whichever server it is given."""

    def __init__(self) -> None:
        self.cookie = ""
        self.token = ""

    def request(
        self, port: int, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        cookie = re.search(r"csrftoken=([^;]+)", found.get("set-cookie", ""))
        if cookie and not self.cookie:
            self.cookie = f"csrftoken={cookie.group(1)}"
        field = CSRF_FIELD.search(content)
        if field and not self.token:
            self.token = field.group(1).decode()
        return response.status, found, content


@pytest.mark.skipif(
    not os.environ.get("BITPOLL_DATABASE_URL"),
    reason="bitpoll serve refuses a second server on one SQLite database; the PostgreSQL run "
    "starts two (on SQLite, test_two_connections_count_into_one_counter shows the sharing)",
)
def test_two_servers_share_the_comment_limit(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        "BITPOLL_SECRET_KEY": secrets.token_urlsafe(48),
        "BITPOLL_RATELIMIT_COMMENTS": "4/h",
        "BITPOLL_WORKERS": "1",
    }
    with serving(data_dir, env) as first, serving(data_dir, env) as second:
        mallory = Browser()
        mallory.request(first.port, "GET", "/new/")
        status, headers, _ = mallory.request(
            first.port,
            "POST",
            "/new/",
            {
                "title": "Shared limits",
                "kind": "text",
                "time_zone": "UTC",
                "options": "A\nB",
                "scale": "default",
                "results_visibility": "always",
                "allow_comments": "on",
            },
        )
        assert status == 302, status
        slug = headers["location"].strip("/").split("/")[0]
        statuses = [
            mallory.request(
                port, "POST", f"/{slug}/comment/", {"author": "Bot", "text": f"spam {i}"}
            )[0]
            for i, port in enumerate([first.port, second.port] * 3)
        ]
        assert statuses == [302, 302, 302, 302, 429, 429], statuses
        status, headers, body = mallory.request(
            second.port, "POST", f"/{slug}/comment/", {"author": "Bot", "text": "again"}
        )
        assert status == 429
        assert 1 <= int(headers["retry-after"]) <= 3600
        assert b"Too many requests" in body
        # Stopped gracefully, so that no worker outlives its server.
        assert second.stop() == 0
        assert first.stop() == 0


def test_two_connections_count_into_one_counter(transactional_db: None) -> None:
    """Two database connections (one per thread), as two workers would have, add up."""
    import threading

    from django.db import connection
    from django.test import RequestFactory

    from bitpoll.ratelimit import limits
    from bitpoll.ratelimit.models import Counter

    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.66")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                limits.check(request, "comments")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # One after the other: the test database is SQLite's shared in-memory one, whose table
    # locks fail at once instead of waiting; concurrent writers are the servers' test above.
    for _ in range(2):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert not errors, errors
    assert Counter.objects.get(scope="comments").hits == 10
