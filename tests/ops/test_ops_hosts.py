"""Two Bitpoll hosts on one PostgreSQL database behave as one site.

Two `bitpoll serve` processes on loopback, each with its own data directory and workers,
share one database and one secret key, as two app hosts behind a load balancer do. They are
started at the same moment against an empty database, so the first start is part of the test.
Shared rate limits across two servers: tests/ratelimit/test_ratelimit_processes.py.
"""

from __future__ import annotations

import http.client
import http.cookies
import re
import secrets
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from opsutil import (
    BITPOLL,
    bitpoll,
    create_postgresql_database,
    env_for,
    postgresql_available,
    postgresql_url,
)

from serverutil import free_port, wait_until_healthy

pytestmark = pytest.mark.skipif(
    not postgresql_available(),
    reason="several hosts share one PostgreSQL database: the run with "
    "BITPOLL_TEST_BACKEND=postgresql starts them",
)

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION_RADIO = re.compile(rb"name=(o\d+) value=(\d+)")


@dataclass
class Host:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Browser:
    """One person: cookies and the last CSRF token seen, whichever host answered."""

    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def request(
        self, host: Host, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Connection": "close", "Host": "localhost"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            for raw in response.msg.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(raw)
                self.cookies.update({name: morsel.value for name, morsel in jar.items()})
            found = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        token = CSRF_FIELD.search(content)
        if token:
            self.token = token.group(1).decode()
        return response.status, found, content

    def get(self, host: Host, path: str) -> bytes:
        status, _, body = self.request(host, "GET", path)
        assert status == 200, (status, path)
        return body

    def post(self, host: Host, path: str, form: dict[str, str]) -> str:
        status, headers, _ = self.request(host, "POST", path, form)
        assert status == 302, (status, path)
        return headers["location"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Host, Host]]:
    """Two hosts started together against one empty database; both logs are checked after."""
    root = tmp_path_factory.mktemp("hosts")
    url = create_postgresql_database("two_hosts")
    secret = secrets.token_urlsafe(48)
    hosts = []
    for name in ("a", "b"):
        port = free_port()
        env = env_for(
            root / name,
            url,
            BITPOLL_SECRET_KEY=secret,
            BITPOLL_BIND=f"127.0.0.1:{port}",
            BITPOLL_WORKERS="2",
            BITPOLL_STATIC_ROOT=str(root / name / "static"),
        )
        log_path = root / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [*BITPOLL, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        hosts.append(Host(port=port, process=process, log_path=log_path))
    try:
        for host in hosts:
            wait_until_healthy(host.port, host.process, timeout=180)
        yield hosts[0], hosts[1]
    finally:
        for host in hosts:
            if host.process.poll() is None:
                host.process.terminate()
                host.process.wait(timeout=60)


def test_two_hosts_starting_together_migrate_once_without_an_error(
    site: tuple[Host, Host],
) -> None:
    logs = [host.log() for host in site]
    migrated = [log for log in logs if "Applying" in log]
    assert len(migrated) == 1, logs
    for log in logs:
        assert "Traceback" not in log and "ERROR" not in log and "[ERROR]" not in log, log


def create_poll(browser: Browser, host: Host, title: str) -> tuple[str, str]:
    browser.get(host, "/new/")
    admin = browser.post(
        host,
        "/new/",
        {
            "title": title,
            "kind": "text",
            "time_zone": "UTC",
            "options": "Red\nBlue",
            "scale": "default",
            "results_visibility": "always",
            "allow_comments": "on",
        },
    )
    return admin.strip("/").split("/")[0], admin


def test_every_write_through_one_host_is_shown_by_the_other_at_once(
    site: tuple[Host, Host],
) -> None:
    a, b = site
    alice, bob, carol, reader = Browser(), Browser(), Browser(), Browser()
    slug, admin = create_poll(alice, a, "Team lunch")
    page = f"/{slug}/"
    assert b"Team lunch" in reader.get(b, page), "created on A, shown by B"

    # Each step reads the page on the other host first, so a cached copy there must go stale.
    reader.get(a, page)
    radios = dict(OPTION_RADIO.findall(bob.get(b, page)))
    assert len(radios) == 2
    form = {"name": "Bob Answerer"} | {o.decode(): v.decode() for o, v in radios.items()}
    bob.post(b, f"/{slug}/answer/", form)
    assert b"Bob Answerer" in reader.get(a, page), "answered on B, shown by A"

    reader.get(b, page)
    alice.get(a, admin + "edit/")
    alice.post(
        a,
        admin + "edit/",
        {
            "title": "Team dinner",
            "description": "",
            "time_zone": "UTC",
            "results_visibility": "always",
            "allow_comments": "on",
        },
    )
    body = reader.get(b, page)
    assert b"Team dinner" in body and b"Team lunch" not in body, "edited on A, shown by B"

    reader.get(a, page)
    carol.get(b, page)
    carol.post(b, f"/{slug}/comment/", {"author": "Carol", "text": "Vegetarian, please"})
    assert b"Vegetarian, please" in reader.get(a, page), "commented on B, shown by A"

    reader.get(b, page)
    # The CSRF token alice got from A is good on B: the hosts share the secret key.
    alice.post(b, admin + "close/", {})
    assert b'id="closed-notice"' in reader.get(a, page), "closed on B, shown by A"
    assert b'id="closed-notice"' in reader.get(b, page)


def test_a_login_on_one_host_is_a_session_on_the_other(
    site: tuple[Host, Host], tmp_path: Path
) -> None:
    a, b = site
    env = env_for(tmp_path, postgresql_url("two_hosts"), BITPOLL_SECRET_KEY="x" * 50)
    bitpoll(
        [
            "shell",
            "-c",
            "from django.contrib.auth.models import User\n"
            "User.objects.create_superuser('root', 'root@example.org', 'two hosts, one site')",
        ],
        env,
    )
    admin = Browser()
    admin.get(a, "/admin/login/")
    admin.post(a, "/admin/login/", {"username": "root", "password": "two hosts, one site"})
    status, _, body = admin.request(b, "GET", "/admin/")
    assert status == 200 and b"logout" in body.lower(), "logged in on A, a session on B"
    # Logging out on B ends the session on A too: sessions are rows in the shared database.
    session = admin.cookies["sessionid"]
    admin.get(b, "/admin/")
    # 302 to the home page (LOGOUT_REDIRECT_URL, set for the accounts) or the admin's own page.
    assert admin.request(b, "POST", "/admin/logout/", {})[0] in (200, 302)
    admin.cookies["sessionid"] = session
    status, headers, _ = admin.request(a, "GET", "/admin/")
    assert status == 302 and "/admin/login/" in headers["location"]


# Mail sent once when every host runs a sender: tests/mail/test_mail_processes.py
# (test_two_senders_deliver_each_mail_once, two `bitpoll send-mail --loop` on one real PostgreSQL
# in the run with BITPOLL_TEST_BACKEND=postgresql).
