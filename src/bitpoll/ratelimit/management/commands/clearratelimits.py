from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from bitpoll.ops import schema
from bitpoll.ratelimit import limits
from bitpoll.ratelimit.models import Counter


class Command(BaseCommand):
    help = (
        "Delete expired rate limit counters (the server also does so as it goes). With --all, "
        "delete every counter, which lifts every limit reached so far, on every node at once."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="also the current counters: lift every limit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema.require_current("clearratelimits")
        counters = Counter.objects.all()
        if not options["all"]:
            counters = counters.filter(expires__lt=int(limits.clock()))
        deleted, _ = counters.delete()
        self.stdout.write(f"{deleted} rate limit counters deleted.")
