from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from bitpoll.mail import jobs, sender
from bitpoll.ops import schema


class Command(BaseCommand):
    help = (
        "Send the mails waiting in the outbox, and do the poll chores that make mail (watch "
        "digests, deadline reminders, closing polls at their deadline). Without --loop it does "
        "everything that is due and exits (for a timer); with --loop it keeps doing so every "
        "--interval seconds until SIGTERM or SIGINT, finishing the mail in hand first. Several "
        "senders may run at once: each mail goes to one of them."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between rounds (default 5)"
        )
        parser.add_argument(
            "--batch", type=int, default=50, help="mails per SMTP connection (default 50)"
        )
        parser.add_argument(
            "--lease",
            type=int,
            default=int(sender.LEASE.total_seconds()),
            help="seconds a claimed mail stays this sender's before another may take it over",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema.require_current("send-mail")
        stop = threading.Event()
        if options["loop"]:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        lease = dt.timedelta(seconds=max(1, options["lease"]))
        last_chores = 0.0
        while True:
            close_old_connections()
            if time.monotonic() - last_chores >= 60 or not options["loop"]:
                done = jobs.run()
                last_chores = time.monotonic()
                if any(done.values()):
                    self.stdout.write(" ".join(f"{k}={v}" for k, v in done.items() if v))
            report = sender.run_once(options["batch"], lease=lease)
            if report.sent or report.retry or report.failed:
                self.stdout.write(f"sent={report.sent} retry={report.retry} failed={report.failed}")
            for line in report.errors:
                self.stderr.write(line)
            # Standard output is a pipe under systemd (the journal): flushed, each round's
            # line shows at once, not when Python's 8 KiB buffer is full.
            self.stdout.flush()
            if not options["loop"] or stop.wait(options["interval"]):
                return
