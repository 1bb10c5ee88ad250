"""`bitpoll serve` delivers mail by itself: with BITPOLL_EMAIL_URL set it runs the outbox's
sender as a child process, which it restarts when it dies and stops with itself; with
BITPOLL_MAIL_SENDER=external (the NixOS module's setting, which runs bitpoll-mail.service)
it does not."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from serverutil import serving
from smtpsink import SmtpSink

pytestmark = pytest.mark.slow

QUEUE = """
import sys
import django
django.setup()
from bitpoll.mail import outbox
outbox.enqueue(sys.argv[1], "polls/closed", {"poll": {"title": "Lunch"}, "public_url": "x"})
"""


def queue_mail(env: dict[str, str], to: str) -> None:
    """Queue a mail in the server's database, from a process of its own (not a sender)."""
    subprocess.run(
        [sys.executable, "-c", QUEUE, to],
        env={**env, "DJANGO_SETTINGS_MODULE": "bitpoll.settings"},
        check=True,
        timeout=60,
    )


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def sender_of(server: Any, after: int = 0, timeout: float = 30) -> int:
    """The pid of the sender the master says it started (the `after`-th start on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = [
            int(pid) for pid in re.findall(r"Mail sender started \(pid (\d+)\)", server.log())
        ]
        if len(started) > after and started[after] in children(server.process.pid):
            return started[after]
        time.sleep(0.1)
    raise AssertionError("no mail sender started")


def gone(pid: int, timeout: float = 30) -> bool:
    """Whether the process is gone (or a zombie) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1]
        except (FileNotFoundError, ProcessLookupError):
            # Reaped: the file went, or went between its opening and its reading.
            return True
        if state.startswith("Z"):
            return True
        time.sleep(0.05)
    return False


def test_a_mail_queued_while_only_serve_runs_reaches_the_smtp_server(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    env = {"BITPOLL_EMAIL_URL": smtp_sink.url, "BITPOLL_WORKERS": "1"}
    with serving(tmp_path / "data", env) as server:
        sender = sender_of(server)
        queue_mail(server.env, "ann@example.org")
        [message] = smtp_sink.wait_for(1)
        assert message["To"] == "ann@example.org"

        # Killed, it is started again, and the new one delivers too.
        os.kill(sender, signal.SIGKILL)
        assert gone(sender)
        again = sender_of(server, after=1, timeout=60)
        assert again != sender
        queue_mail(server.env, "bob@example.org")
        assert smtp_sink.wait_for(2)[1]["To"] == "bob@example.org"

        # SIGHUP (a reload) replaces it, so that it runs the reloaded code too.
        os.kill(server.process.pid, signal.SIGHUP)
        reloaded = sender_of(server, after=2)
        assert gone(again)
        queue_mail(server.env, "carl@example.org")
        assert smtp_sink.wait_for(3)[2]["To"] == "carl@example.org"

        assert server.stop(signal.SIGTERM) == 0
        assert gone(reloaded, timeout=5)
        log = server.log()
    assert "Mail sender started" in log
    assert "has exited; starting it again" in log


def test_with_an_external_sender_serve_starts_none(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    env = {
        "BITPOLL_EMAIL_URL": smtp_sink.url,
        "BITPOLL_MAIL_SENDER": "external",
        "BITPOLL_WORKERS": "1",
    }
    with serving(tmp_path / "data", env) as server:
        time.sleep(2)  # manage_workers runs every second: time enough to have started one
        assert len(children(server.process.pid)) == 1  # the one worker
        assert server.stop(signal.SIGTERM) == 0
        assert "Mail sender started" not in server.log()
