"""Real `bitpoll send-mail` processes: several at once, and one killed while it sends.

Each test has its own database: a SQLite file in a temporary data directory, or a fresh
database on the suite's PostgreSQL server in the PostgreSQL run (where several senders on
several hosts is the case that matters: rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from serverutil import BITPOLL, clean_env, run_bitpoll
from smtpsink import SmtpSink

QUEUE = """
from bitpoll.mail import outbox
for n in range({count}):
    outbox.enqueue(f"p{{n}}@example.org", "polls/closed",
                   {{"poll": {{"title": f"Poll {{n}}"}}, "public_url": "https://x/"}})
"""
STATUS = """
from bitpoll.mail.models import Message
rows = Message.objects.all()
print(rows.filter(status="sent").count(), rows.filter(maybe_duplicate=True).count(),
      rows.exclude(status="sent").count())
"""
EXPIRE = """
import datetime as dt
from django.utils import timezone
from bitpoll.mail.models import Message
print(Message.objects.filter(status="sending").update(
    lease_until=timezone.now() - dt.timedelta(seconds=1)))
"""
SENDING = """
from bitpoll.mail.models import Message
print(Message.objects.filter(status="sending").count())
"""


def _database_url() -> str | None:
    base = os.environ.get("BITPOLL_DATABASE_URL")
    if not base:
        return None
    import psycopg

    name = f"mail_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    with psycopg.connect(base.replace("postgresql://", "postgres://"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def env(tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[dict[str, str]]:
    extra = {
        "BITPOLL_SECRET_KEY": secrets.token_urlsafe(48),
        "BITPOLL_EMAIL_URL": smtp_sink.url,
        "BITPOLL_EMAIL_FROM": "bitpoll@example.org",
        "BITPOLL_MAIL_RATE": "off",
        "BITPOLL_MAIL_RATE_PER_RECIPIENT": "off",
    }
    url = _database_url()
    if url:
        extra["BITPOLL_DATABASE_URL"] = url
    environ = clean_env(tmp_path / "data", **extra)
    done = run_bitpoll(["migrate", "-v0"], environ)
    assert done.returncode == 0, done.stderr
    yield environ


def _shell(env: dict[str, str], code: str) -> str:
    done = run_bitpoll(["shell", "--no-imports", "-c", code], env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_senders_deliver_each_mail_once(env: dict[str, str], smtp_sink: SmtpSink) -> None:
    count = 100
    _shell(env, QUEUE.format(count=count))
    argv = [*BITPOLL, "send-mail", "--loop", "--interval", "0.05", "--batch", "5"]
    senders = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        smtp_sink.wait_for(count, timeout=120)
        time.sleep(0.5)  # let a duplicate, if there were one, arrive
    finally:
        outputs = []
        for proc in senders:
            proc.send_signal(signal.SIGTERM)
            outputs.append(proc.communicate(timeout=60))
    messages = smtp_sink.messages()
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == count
    assert len(set(ids)) == count
    assert sorted(m["To"] for m in messages) == sorted(f"p{n}@example.org" for n in range(count))
    # Both exited cleanly on SIGTERM, and what they say they sent adds up (which of them
    # sent how many depends on which started first).
    assert all(proc.returncode == 0 for proc in senders), outputs
    said = sum(int(w[5:]) for out, _err in outputs for w in out.split() if w.startswith("sent="))
    assert said == count, outputs
    assert _shell(env, STATUS) == f"{count} 0 0"


def _tarpit() -> tuple[socket.socket, threading.Event]:
    """An SMTP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue
        for conn in held:
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return listener, stop


def test_a_killed_sender_loses_nothing(env: dict[str, str], smtp_sink: SmtpSink) -> None:
    count = 20
    _shell(env, QUEUE.format(count=count))
    listener, stop = _tarpit()
    try:
        hung = dict(env, BITPOLL_EMAIL_URL=f"smtp://127.0.0.1:{listener.getsockname()[1]}")
        proc = subprocess.Popen(
            [*BITPOLL, "send-mail", "--batch", "50"],
            env=hung,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while _shell(env, SENDING) != str(count):
            assert time.monotonic() < deadline, "the sender never claimed the mails"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # mid-send: every mail claimed, none marked sent
        proc.wait(timeout=30)
    finally:
        stop.set()
        listener.close()
    # Nothing is sent while the dead sender's lease runs; once it has run out (the test moves
    # it into the past rather than waiting five minutes), the next sender delivers them all.
    done = run_bitpoll(["send-mail"], env)
    assert done.returncode == 0, done.stderr
    assert smtp_sink.messages() == []
    assert _shell(env, EXPIRE) == str(count)
    done = run_bitpoll(["send-mail"], env)
    assert done.returncode == 0, done.stderr
    messages = smtp_sink.wait_for(count)
    assert len({m["Message-ID"] for m in messages}) == len(messages) == count
    # Marked: the killed sender might have handed them over before it died.
    assert _shell(env, STATUS) == f"{count} {count} 0"
    status = run_bitpoll(["mail-status"], env)
    assert f"sent={count}" in status.stdout
    assert f"maybe sent twice (a sender died mid-send): {count}" in status.stdout


def test_a_looping_sender_reports_each_round_at_once(
    env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    # Under systemd its standard output is the journal, not a terminal, as here: before the
    # sender flushed its lines, Python held them in an 8 KiB buffer and `journalctl -u
    # bitpoll-mail` showed nothing for hours. systemd sets no PYTHONUNBUFFERED; drop it here.
    _shell(env, QUEUE.format(count=1))
    argv = [*BITPOLL, "send-mail", "--loop", "--interval", "0.2"]
    env = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        readable, _, _ = select.select([proc.stdout], [], [], 30)
        assert readable, "no line from the running sender within 30 s"
        assert proc.poll() is None
        assert proc.stdout.readline().split()[0] == "sent=1"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
