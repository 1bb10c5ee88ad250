"""`bitpoll migrate`: Django's migrate, made safe for several hosts and for rollbacks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import migrate
from django.db import DatabaseError, connections

from bitpoll.ops import archive, schema


class Command(migrate.Command):
    help = (
        "Apply pending migrations, like Django's migrate, with three additions. Only one host "
        "migrates a PostgreSQL database at a time (an advisory lock; the others wait). Before "
        "any pending migration touches a database that has a schema, the whole database is "
        "written to a snapshot archive in <data dir>/backups/ named for that schema, and the "
        "newest BITPOLL_SNAPSHOT_KEEP (3) are kept; `bitpoll restore --before-upgrade` restores "
        "it. A database with migrations this version does not know (after a rollback) is "
        "refused unless BITPOLL_ALLOW_NEWER_SCHEMA is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-snapshot",
            action="store_true",
            help="Do not write a snapshot before applying pending migrations.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        with schema.migration_lock(connection):
            executor = schema.migration_executor(connection)
            try:
                schema.check_not_newer(connection, executor.loader)
            except schema.SchemaError as exc:
                raise CommandError(str(exc)) from None
            # Only a plain `migrate` (forwards to the newest state) is an upgrade; a named
            # target is an operator's deliberate step, --fake and --plan change no data.
            upgrade = not (
                options["app_label"] or options["fake"] or options["plan"] or options["prune"]
            )
            if upgrade and not options["no_snapshot"] and settings.SNAPSHOT_KEEP:
                self._snapshot(connection, options["verbosity"], executor)
            super().handle(*args, **options)

    def _snapshot(self, connection: Any, verbosity: int, executor: Any) -> None:
        if not schema.pending_plan(connection, executor):
            return
        try:
            path = schema.take_snapshot(connection, settings.SNAPSHOT_KEEP, executor.loader)
        except (archive.ArchiveError, DatabaseError, OSError) as exc:
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(
                f"cannot write the snapshot before migrating, nothing was migrated: {text}; "
                "free space or fix the backup directory, or set BITPOLL_SNAPSHOT_KEEP=0 to "
                "migrate without one"
            ) from None
        if path is None:
            return
        if verbosity:
            self.stdout.write(f"Snapshot of the database before migrating: {path}")
        else:  # `bitpoll serve` migrates quietly, but the snapshot belongs in its log
            schema.log.info("Snapshot of the database before migrating: %s", path)
