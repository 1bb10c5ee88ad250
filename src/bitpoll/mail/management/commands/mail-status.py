from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bitpoll.mail import outbox, sender
from bitpoll.mail.models import Message
from bitpoll.ops import schema


class Command(BaseCommand):
    help = (
        "Show the outbox: how many mails are queued, being sent, sent and failed, how old the "
        "oldest waiting one is, and the latest failures with their error. Exits with status 1 "
        "when --fail-on-failed is given and a mail failed (for monitoring)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--failures", type=int, default=10, help="failures to list")
        parser.add_argument("--fail-on-failed", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        schema.require_current("mail-status")
        if not outbox.enabled():
            self.stdout.write("No mail is configured (BITPOLL_EMAIL_URL): nothing is queued.")
        counts = sender.status_counts()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
        fanouts, waiting = outbox.pending()
        if fanouts:
            self.stdout.write(
                f"mails to many not yet written out: {fanouts}, for {waiting} recipients"
            )
        oldest = Message.objects.filter(status=Message.Status.QUEUED).order_by("created").first()
        if oldest is not None:
            age = int((timezone.now() - oldest.created).total_seconds())
            self.stdout.write(
                f"oldest queued: {age} s (next try {oldest.next_try:%Y-%m-%d %H:%M:%S})"
            )
        dupes = Message.objects.filter(maybe_duplicate=True).count()
        if dupes:
            self.stdout.write(f"maybe sent twice (a sender died mid-send): {dupes}")
        failed = Message.objects.filter(status=Message.Status.FAILED).order_by("-created")
        for row in failed[: options["failures"]]:
            self.stdout.write(
                f"failed {row.pk} {row.created:%Y-%m-%d %H:%M} {row.kind} {row.to} "
                f"after {row.attempts} attempts: {row.last_error}"
            )
        if options["fail_on_failed"] and counts["failed"]:
            raise CommandError(f"{counts['failed']} mails failed")
