"""`bitpoll restore`: load a backup archive into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from bitpoll.ops.archive import ArchiveError
from bitpoll.ops.management.commands.backup import _first_line
from bitpoll.ops.restore import RestoreError, restore_archive


class Command(BaseCommand):
    help = (
        "Restore a backup archive written by `bitpoll backup`. The archive is verified first "
        "(a damaged or modified one is refused). The database must be empty (a new one, or one "
        "that only `bitpoll migrate` has touched) unless --force is given, which replaces "
        "everything in it. The database is migrated to the archive's state, loaded, then "
        "migrated forward to this version, all in one transaction: on any error nothing "
        "changes. Stop the server while restoring."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="The archive to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace all users, polls and answers already in the database (and log "
            "everyone out) with the archive's.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).expanduser()
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        try:
            result = restore_archive(
                path, force=options["force"], announce=lambda line: self.stdout.write(line)
            )
        except (ArchiveError, RestoreError) as exc:
            raise CommandError(f"{exc}; database {name} unchanged") from None
        except DatabaseError as exc:
            raise CommandError(
                f"the restore failed and was rolled back, database {name} unchanged: "
                f"{_first_line(exc)}"
            ) from None
        manifest = result.manifest
        forward = (
            f"; applied {result.forward_migrations} newer migration(s)"
            if result.forward_migrations
            else ""
        )
        self.stdout.write(
            f"Restored {sum(result.loaded.values())} rows from {path} (Bitpoll "
            f"{manifest.bitpoll_version}, {manifest.created_at}) into database {name}{forward}"
        )
        if result.rerendered:
            # Not an error (a newer Markdown renderer differs too), but worth knowing about.
            self.stdout.write(
                f"Rendered {result.rerendered} poll description(s) again: their HTML in the "
                "archive differed from what Bitpoll makes of their text"
            )
