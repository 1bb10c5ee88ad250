"""`bitpoll import-bitpoll SOURCE_URL`: bring over the original Bitpoll's database."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from bitpoll import conf
from bitpoll.importer.report import ACCOUNT_POLICIES, SLUG_POLICIES, ImportRefused, Options
from bitpoll.importer.run import run
from bitpoll.importer.source import SourceError, open_source
from bitpoll.ops import schema


class Command(BaseCommand):
    help = (
        "Import the database of the original Bitpoll (fsinfuhh/Bitpoll): users, groups, polls "
        "of all three types with their options, answer values, votes, comments, invitations "
        "and watches. SOURCE_URL is sqlite:////absolute/path.sqlite3 (sqlite:///relative/path "
        "from the working directory) or postgresql://user@host/name "
        "(never with a password: use BITPOLL_IMPORT_PASSWORD_FILE, the systemd credential "
        "import_password or --password-prompt). The source is only read. Everything is "
        "written in one transaction, so an error leaves this database as it was; polls, users "
        "and groups imported before are skipped, so running it again imports nothing twice. "
        "The original's links (/poll/<slug>/...) redirect to the imported polls."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source_url",
            metavar="SOURCE_URL",
            help="The original's database: sqlite:////absolute/path.sqlite3, "
            "postgresql://user@host:port/name or postgresql:///name?host=/run/postgresql.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the report of what would be imported, mapped, adjusted or dropped, and "
            "change nothing.",
        )
        parser.add_argument(
            "--on-slug-collision",
            choices=SLUG_POLICIES,
            default="refuse",
            help="When a poll's link name is taken here: refuse to import anything (default), "
            "rename the imported poll with a numeric suffix, or skip it.",
        )
        parser.add_argument(
            "--on-account-collision",
            choices=ACCOUNT_POLICIES,
            default="refuse",
            help="When a username or group name exists here: refuse (default) or merge the "
            "imported account or group into the existing one.",
        )
        parser.add_argument(
            "--keep-admin-rights",
            action="store_true",
            help="Carry over the original's staff and superuser flags (off: everyone is "
            "imported as a normal account).",
        )
        parser.add_argument(
            "--admin-links-for-all",
            action="store_true",
            help="Print an admin link for every imported poll, not only for those without an "
            "owning account or group.",
        )
        parser.add_argument(
            "--password-prompt",
            action="store_true",
            help="Ask for the source database's password on the terminal.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["source_url"]
        try:
            password = conf.env_secret("IMPORT_PASSWORD")
        except conf.ConfigError as exc:
            raise CommandError(str(exc)) from None
        if password is None and options["password_prompt"]:
            if not sys.stdin.isatty():
                raise CommandError("--password-prompt needs a terminal")
            password = getpass.getpass("Password of the original's database: ")
        dry_run = options["dry_run"]
        try:
            source = open_source(url, password)
        except SourceError as exc:
            raise CommandError(f"cannot import: {exc}") from None
        try:
            # Into this release's tables only (source.close() below, whatever happens).
            schema.require_current("import-bitpoll")
            report = run(
                source,
                Options(
                    on_slug_collision=options["on_slug_collision"],
                    on_account_collision=options["on_account_collision"],
                    keep_admin_rights=options["keep_admin_rights"],
                    admin_links_for_all=options["admin_links_for_all"],
                    base_url=str(getattr(settings, "BASE_URL", "")),
                ),
                dry_run=dry_run,
            )
        except (SourceError, ImportRefused) as exc:
            raise CommandError(f"nothing was imported: {exc}") from None
        except DatabaseError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"nothing was imported, the database refused: {first}") from None
        finally:
            source.close()
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for line in report.lines(dry_run):
            self.stdout.write(line)
        if report.refusals:
            raise CommandError("the import would be refused: see the report above")
