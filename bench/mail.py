"""1,000 queued notifications sent within the rate limit, while the site keeps answering.

Usage: python bench/mail.py [--count 1000] [--rate 250/15s]

Starts a real SMTP server on loopback (tests/smtpsink.py), `bitpoll serve` (2 workers,
SQLite) and one `bitpoll send-mail --loop`, queues `count` notifications in one transaction
(as a burst of events would), and while the sender drains the outbox asks the server for
/healthz and a poll page in a loop. Prints: how long queueing took, how long delivery took,
the most mails the SMTP server received in any window of the rate's period (must not exceed
the rate's count), duplicates and losses (must be none), and the request latencies during
the delivery (p50/p99/max), which show that sending blocks no request.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from run import free_port, in_django, request, wait_healthy  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

QUEUE = """
import json, sys, time
from django.db import transaction
from bitpoll.mail import outbox
from bitpoll.polls.models import Poll
count = json.loads(sys.argv[1])
poll = Poll.objects.first()
started = time.perf_counter()
with transaction.atomic():
    for n in range(count):
        outbox.enqueue(f"watcher{n}@example.org", "polls/closed",
                       {"poll": poll, "public_url": "https://polls.example.org/x/"}, poll=poll)
print(json.dumps(time.perf_counter() - started))
"""
POLL = """
import json
from bitpoll.polls import services
from bitpoll.polls.options import parse_lines
import zoneinfo
poll, _ = services.create_poll(title="Bench", description="", kind="text", time_zone="UTC",
                               options=parse_lines("text", "A\\nB", zoneinfo.ZoneInfo("UTC")))
print(json.dumps(poll.slug))
"""


def percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", default="250/15s")
    args = parser.parse_args()
    rate_count, period = args.rate.split("/")
    units = {"s": 1, "m": 60, "h": 3600}
    window = int(period[:-1] or 1) * units[period[-1]]
    sink = SmtpSink().start()
    tmp = Path(tempfile.mkdtemp(prefix="bitpoll-bench-mail-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITPOLL_", "DJANGO_"))} | {
        "BITPOLL_DATA_DIR": str(tmp / "data"),
        "BITPOLL_SECRET_KEY": secrets.token_urlsafe(48),
        "BITPOLL_EMAIL_URL": sink.url,
        "BITPOLL_MAIL_RATE": args.rate,
        "BITPOLL_MAIL_RATE_PER_RECIPIENT": "off",
        "BITPOLL_MAIL_SENDER": "external",  # the one sender is started below, when all is queued
        "BITPOLL_RATELIMIT_ENABLED": "false",
        "BITPOLL_WORKERS": "2",
        "BITPOLL_LOG_LEVEL": "warning",
        "BITPOLL_BIND": f"127.0.0.1:{port}",
    }
    bitpoll = [sys.executable, "-m", "bitpoll"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*bitpoll, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*bitpoll, "collectstatic", "--noinput", "-v0"], env=env, check=True)
        slug = in_django(env, POLL, None)
        server = subprocess.Popen([*bitpoll, "serve", "--no-migrate"], env=env)
        processes.append(server)
        wait_healthy(port, server, time.perf_counter())
        queued_in = in_django(env, QUEUE, args.count)
        started = time.time()
        processes.append(
            subprocess.Popen(
                [*bitpoll, "send-mail", "--loop", "--interval", "1"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        latencies: dict[str, list[float]] = {"/healthz": [], f"/{slug}/": []}
        done = threading.Event()

        def visitor() -> None:
            while not done.is_set():
                for path, found in latencies.items():
                    t0 = time.perf_counter()
                    status, _, _ = request(port, path)
                    found.append((time.perf_counter() - t0) * 1000)
                    assert status == 200, (path, status)
                time.sleep(0.05)

        thread = threading.Thread(target=visitor)
        thread.start()
        deadline = time.time() + 20 * 60
        while len(sink.messages()) < args.count and time.time() < deadline:
            time.sleep(0.5)
        done.set()
        thread.join()
        elapsed = time.time() - started
        messages = sink.messages()
        ids = [m["Message-ID"] for m in messages]
        arrivals = sorted(
            p.stat().st_mtime
            for sub in ("new", "cur")
            for p in (sink.directory / "maildir" / sub).glob("*")
        )
        busiest = max(
            (sum(1 for t in arrivals if a <= t < a + window) for a in arrivals), default=0
        )
        print(f"\n== mail: {args.count} notifications, rate {args.rate}, SQLite, 1 sender ==")
        print(f"queued in one transaction: {queued_in * 1000:.0f} ms")
        print(
            f"delivered: {len(messages)} in {elapsed:.1f} s ({len(messages) / elapsed * 60:.0f}/min)"
        )
        print(f"duplicates: {len(ids) - len(set(ids))}, lost: {args.count - len(set(ids))}")
        print(f"most received in any {window} s window: {busiest} (limit {rate_count})")
        print(f"lower bound from the rate: {(args.count / int(rate_count) - 1) * window:.0f} s")
        for path, values in latencies.items():
            name = "poll page" if path != "/healthz" else "/healthz"
            print(
                f"{name} during delivery: {len(values)} requests, p50 {statistics.median(values):.1f} ms, "
                f"p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms"
            )
        ok = busiest <= int(rate_count) and len(set(ids)) == len(ids) == args.count
        print("target (all delivered once, within the rate): " + ("met" if ok else "NOT met"))
        print(json.dumps({"elapsed": elapsed, "busiest": busiest}))
    finally:
        for proc in reversed(processes):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        sink.stop()


if __name__ == "__main__":
    main()
