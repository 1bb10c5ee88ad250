"""A real `bitpoll serve` process and plain HTTP clients for the load, crash and backup tests.

Everything is on loopback, every loop is bounded in count and every wait in time; waiting for
readiness polls /healthz instead of sleeping for a guessed duration.
"""

from __future__ import annotations

import http.client
import http.cookies
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from opsutil import BITPOLL, bitpoll

READY_TIMEOUT = 90.0
REQUEST_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    env: dict[str, str]
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> Server:
        self.port = self.port or free_port()
        env = {**self.env, "BITPOLL_BIND": f"127.0.0.1:{self.port}"}
        with open(self.log_path, "ab") as log:
            # A session of its own, so a crash can take the master and every worker at once.
            self.process = subprocess.Popen(
                [*BITPOLL, "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bitpoll serve exited early:\n{self.log()}")
            try:
                if Client(self.port).get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)  # polling interval, not a timing assumption
        raise TimeoutError(f"bitpoll serve not ready within {READY_TIMEOUT} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the master and all workers: a crash, no chance to finish anything."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    server = Server(env=env, log_path=log_path)
    try:
        yield server.start()
    finally:
        server.stop()


@dataclass
class Client:
    """One browser: its own cookies (CSRF token, entry cookie), a new connection per request."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str]]:
        headers = {"Connection": "close", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            for raw in response.msg.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, dict[str, str]]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str]]:
        return self.request("POST", path, form)


@dataclass(frozen=True)
class LivePoll:
    slug: str
    options: list[int]
    choices: list[int]

    def answer_form(self, name: str, n: int, comment: str = "") -> dict[str, str]:
        form = {"name": name}
        for i, option in enumerate(self.options):
            form[f"o{option}"] = str(self.choices[(n + i) % len(self.choices)])
            form[f"c{option}"] = comment
        return form


def create_poll(env: dict[str, str], slug: str, options: int = 3) -> LivePoll:
    code = f"""
import json
from bitpoll.polls import services
from bitpoll.polls.options import ParsedOption
poll, _ = services.create_poll(
    title="Load", description="", kind="text", time_zone="UTC", slug={slug!r},
    options=[ParsedOption(text=f"Option {{i}}") for i in range({options})],
)
print(json.dumps({{"options": list(poll.options.values_list("pk", flat=True)),
                  "choices": list(poll.choices.values_list("pk", flat=True))}}))
"""
    data = json.loads(bitpoll(["shell", "-c", code], env).stdout.strip().splitlines()[-1])
    return LivePoll(slug=slug, options=data["options"], choices=data["choices"])


def poll_state(env: dict[str, str], slug: str) -> dict[str, Any]:
    """What the database holds for a poll: entries with their votes, comments, version."""
    code = f"""
import json
from bitpoll.polls.models import Poll
poll = Poll.objects.get(slug={slug!r})
entries = {{e.name: sorted([v.option_id, v.choice_id, v.comment] for v in e.votes.all())
           for e in poll.entries.prefetch_related("votes")}}
print(json.dumps({{"entries": entries, "entry_count": poll.entries.count(),
                  "comments": sorted(poll.comments.values_list("text", flat=True)),
                  "version": poll.version}}))
"""
    return json.loads(bitpoll(["shell", "-c", code], env).stdout.strip().splitlines()[-1])
