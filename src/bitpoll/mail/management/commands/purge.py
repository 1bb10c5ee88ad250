from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from bitpoll.ops import schema
from bitpoll.polls import lifecycle


class Command(BaseCommand):
    help = (
        "Delete the polls kept longer than BITPOLL_POLL_RETENTION_DAYS after their last "
        "activity (an answer, a change, the deadline or the decision, whichever is latest), "
        "with their answers, comments, e-mail addresses and mails. A poll whose creator left "
        "an address is deleted only once they were warned, at least 7 days before. Also "
        "deletes sent and failed mails older than 30 days. With --dry-run, lists and deletes "
        "nothing. Does nothing while the retention is off (0)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        schema.require_current("purge")
        dry = options["dry_run"]
        if not settings.POLL_RETENTION_DAYS:
            self.stdout.write("Poll retention is off (BITPOLL_POLL_RETENTION_DAYS=0).")
        polls, mails = lifecycle.purge(dry_run=dry)
        verb = "would delete" if dry else "deleted"
        for poll in polls:
            self.stdout.write(
                f"{verb} poll {poll.slug} (last activity + retention: {lifecycle.expiry(poll):%Y-%m-%d})"
            )
        self.stdout.write(
            f"{len(polls)} polls and {mails} old mails {'to delete' if dry else 'deleted'}."
        )
