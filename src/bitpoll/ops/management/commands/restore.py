"""`bitpoll restore`: load a backup archive into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

from bitpoll.ops import schema
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
        parser.add_argument("path", metavar="PATH", nargs="?", help="The archive to restore.")
        parser.add_argument(
            "--before-upgrade",
            action="store_true",
            help="Restore the snapshot `bitpoll migrate` took before the migrations this "
            "version does not know (after rolling back to it), replacing the whole database, "
            "tables of the newer version included.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace all users, polls and answers already in the database (and log "
            "everyone out) with the archive's.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        if options["before_upgrade"]:
            if options["path"]:
                raise CommandError("--before-upgrade finds the snapshot itself: give no PATH")
            path = self._snapshot_before_upgrade()
        elif options["path"]:
            path = Path(options["path"]).expanduser()
        else:
            raise CommandError("give the archive to restore, or --before-upgrade")
        try:
            result = restore_archive(
                path,
                force=options["force"],
                announce=lambda line: self.stdout.write(line),
                drop_tables=options["before_upgrade"],
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

    def _snapshot_before_upgrade(self) -> Path:
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            loader = MigrationLoader(connection, ignore_no_migrations=True)
            newer = schema.newer_migrations(connection, loader)
            path = schema.snapshot_before(connection, loader)
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database: {_first_line(exc)}") from None
        if path is None:
            raise CommandError(
                f"no snapshot this version can restore is in {schema.snapshot_directory()}: "
                "restore a backup with `bitpoll restore --force PATH`"
            )
        ahead = ", ".join(f"{app}.{name}" for app, name in newer) or "none"
        self.stdout.write(
            f"Restoring {path}, taken before the upgrade (migrations this version does not "
            f"know: {ahead}); every table of the database is replaced"
        )
        return path
