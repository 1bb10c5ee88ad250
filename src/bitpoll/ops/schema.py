"""The database schema across hosts and releases: one migrator at a time, a snapshot before
every upgrade, and a refusal to serve a schema newer than the code.

- Several hosts that start together against one PostgreSQL database migrate it once: each takes
  a session-level advisory lock before it looks at the migration plan, so the others wait,
  then find nothing pending. SQLite has one server per database (`bitpoll serve` holds a lock
  file) and its write transactions already queue, so it needs no lock of its own.
- Before pending migrations are applied to a database that holds a schema already, the whole
  database is written to a snapshot archive named for the schema it came from, in the backup
  directory; the newest BITPOLL_SNAPSHOT_KEEP are kept.
- Applied migrations the code does not have (after a rollback to an older release) stop the
  server and `migrate` with one line naming them and the snapshot that undoes them.
- The commands that work on Bitpoll's tables beside the server (`send-mail`, `purge`, ...)
  start only on a schema that is this release's (require_current): on a database not yet
  migrated, or migrated by a newer release, they stop with one line instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import logging
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

log = logging.getLogger("bitpoll.schema")

Node = tuple[str, str]

# Any fixed 64-bit number works; advisory locks are scoped to the database, so two Bitpoll
# sites on one server do not wait for each other.
MIGRATION_LOCK_KEY = 0x6269_7470_6F6C_6C01
SNAPSHOT_PREFIX = "bitpoll-snapshot-"
# bitpoll-snapshot-<UTC time>-schema-<id>.tar.gz: names sort by time; --keep of `bitpoll
# backup` never matches them, and snapshot pruning never touches anything else.
SNAPSHOT_RE = re.compile(
    r"^bitpoll-snapshot-(?P<time>\d{8}T\d{6}\.\d{6}Z)-schema-(?P<schema>[0-9a-f]{12})\.tar\.gz$"
)


class SchemaError(Exception):
    """The schema is in a state this code must not touch; the message is one line."""


@contextmanager
def migration_lock(connection: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for migrations (reentrant per connection)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        if not cursor.fetchone()[0]:
            log.info("Another host is migrating the database; waiting for it to finish")
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
    try:
        yield
    finally:
        # A connection that broke meanwhile released the lock with its session.
        if connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])


def applied_migrations(connection: BaseDatabaseWrapper) -> set[Node]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return set()
    return set(recorder.applied_migrations())


def newer_migrations(connection: BaseDatabaseWrapper, loader: MigrationLoader) -> list[Node]:
    """Applied migrations of Bitpoll's own apps that this code does not have, sorted.

    Only apps the code knows count (a removed third-party app's rows are not a newer schema).
    """
    known_apps = {app for app, _ in loader.disk_migrations}
    return sorted(
        node
        for node in applied_migrations(connection)
        if node[0] in known_apps and node not in loader.graph.nodes
    )


def schema_id(nodes: set[Node]) -> str:
    """A short name for a set of applied migrations: equal sets, equal names."""
    text = "\n".join(f"{app}.{name}" for app, name in sorted(nodes))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def snapshot_directory() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def snapshots(directory: Path | None = None) -> list[Path]:
    """Snapshot archives in the backup directory, newest first."""
    directory = directory or snapshot_directory()
    try:
        found = [p for p in directory.iterdir() if SNAPSHOT_RE.match(p.name) and p.is_file()]
    except FileNotFoundError:
        return []
    return sorted(found, key=lambda p: p.name, reverse=True)


def migration_executor(connection: BaseDatabaseWrapper) -> Any:
    """Django's MigrationExecutor for `connection`. Its loader links every migration into a
    graph and reads the applied ones (the first in a process also imports the migration
    files: about 14 ms here, then 2 ms and a query each): callers that both check the schema
    (check_not_newer) and read the plan (pending_plan) build one and hand it, or its loader,
    to both."""
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection)


def pending_plan(connection: BaseDatabaseWrapper, executor: Any = None) -> list[tuple[Any, bool]]:
    """The migrations a plain `migrate` would apply, in order."""
    executor = executor or migration_executor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def checked_plan(connection: BaseDatabaseWrapper) -> list[tuple[Any, bool]]:
    """pending_plan(), after check_not_newer() (which raises SchemaError), from one loader."""
    executor = migration_executor(connection)
    check_not_newer(connection, executor.loader)
    return pending_plan(connection, executor)


def take_snapshot(
    connection: BaseDatabaseWrapper, keep: int, loader: MigrationLoader | None = None
) -> Path | None:
    """Write the database, as its applied migrations describe it, to a snapshot archive.

    Returns None for a database without any schema yet (nothing to keep). The code's models
    may name columns that pending migrations have not created, so the rows are read with the
    historical models of the applied migrations.
    """
    loader = loader or MigrationLoader(connection, ignore_no_migrations=True)
    applied = applied_migrations(connection)
    known = {node for node in applied if node in loader.graph.nodes}
    if not known:
        return None
    registry = loader.project_state(nodes=sorted(known), at_end=True).apps
    from bitpoll.ops import archive  # tarfile and the dump code: not on `bitpoll serve`'s start

    directory = snapshot_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"{SNAPSHOT_PREFIX}{now}-schema-{schema_id(applied)}.tar.gz"
    archive.write_archive(path, connection.alias, registry=registry)
    for old in snapshots(directory)[keep:]:
        old.unlink()
    return path


def snapshot_before(connection: BaseDatabaseWrapper, loader: MigrationLoader) -> Path | None:
    """The snapshot that restores the schema this code knows: the newest one taken from
    exactly the database's migrations that the code has, else the newest it can restore."""
    from bitpoll.ops import archive

    applied = applied_migrations(connection)
    wanted = schema_id({node for node in applied if node in loader.graph.nodes})
    found = snapshots()
    for path in found:
        match = SNAPSHOT_RE.match(path.name)
        if match and match.group("schema") == wanted:
            return path
    for path in found:
        try:
            with archive.ArchiveReader(path) as reader:
                nodes = reader.manifest.migration_nodes()
        except archive.ArchiveError:
            continue
        if nodes <= set(loader.graph.nodes):
            return path
    return None


def refusal(connection: BaseDatabaseWrapper, newer: list[Node], loader: MigrationLoader) -> str:
    """The one line that explains a newer schema and how to go back."""
    names = ", ".join(f"{app}.{name}" for app, name in newer)
    snapshot = snapshot_before(connection, loader)
    undo = (
        f"restore the snapshot taken before them ({snapshot}) with `bitpoll restore "
        "--before-upgrade` (`bitpoll-manage restore --before-upgrade` on NixOS) with every "
        "server stopped"
        if snapshot
        else "no snapshot from before them is in the backup directory: restore a backup with "
        "`bitpoll restore --force PATH`"
    )
    return (
        f"the database has migrations this version of Bitpoll does not know ({names}): a "
        f"newer version migrated it. Run that version again, or {undo}; if those migrations "
        "only added to the schema, BITPOLL_ALLOW_NEWER_SCHEMA=true serves anyway"
    )


def check_not_newer(
    connection: BaseDatabaseWrapper | None = None, loader: MigrationLoader | None = None
) -> None:
    """Raise SchemaError with the refusal line if the database is ahead of the code
    (`loader`: one already built for this connection, e.g. a migration executor's)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    loader = loader or MigrationLoader(connection, ignore_no_migrations=True)
    newer = newer_migrations(connection, loader)
    if not newer:
        return
    if settings.ALLOW_NEWER_SCHEMA:
        log.warning(
            "the database has migrations this version does not know (%s); serving anyway "
            "because BITPOLL_ALLOW_NEWER_SCHEMA is on",
            ", ".join(f"{app}.{name}" for app, name in newer),
        )
        return
    raise SchemaError(refusal(connection, newer, loader))


def all_migrations_recorded() -> bool:
    """Whether every migration file of every app is recorded as applied in the database.

    The usual case on a restart, answered from a directory listing and one query instead of
    Django's migration loader, which imports and links every migration (a tenth of the
    start-up). Anything else (a new file, no table yet, a squashed migration not recorded)
    says no, and the caller asks the loader (serve's migrate_if_needed, require_current). So
    does a database with rows this code has no file for (a newer release migrated it, then a
    rollback): the loader's path refuses it.
    """
    modules = getattr(settings, "MIGRATION_MODULES", {})
    on_disk: set[tuple[str, str]] = set()
    for app in apps.get_app_configs():
        name = modules.get(app.label, f"{app.name}.migrations")
        if name is None:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ImportError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        on_disk.update(
            (app.label, found.name)
            for found in pkgutil.iter_modules(spec.submodule_search_locations)
            if not found.ispkg and found.name[0] not in "_~"
        )
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            recorded = {(str(app), str(name)) for app, name in cursor.fetchall()}
    except DatabaseError:
        return False
    labels = {label for label, _name in on_disk}
    unknown = {row for row in recorded if row[0] in labels} - on_disk
    return on_disk <= recorded and not unknown


def require_current(command: str) -> None:
    """Raise CommandError, one line, unless the default database holds exactly the schema of
    this release: for a command that reads and writes Bitpoll's tables beside the server
    (`command`, its name), which would otherwise fail at its first query with a traceback,
    or run this release's statements on another release's tables.

    Cheap when nothing is pending (all_migrations_recorded); a newer schema is refused as
    serve refuses it, and BITPOLL_ALLOW_NEWER_SCHEMA lets it through the same way.
    """
    try:
        if all_migrations_recorded():
            return
        plan = checked_plan(connections[DEFAULT_DB_ALIAS])
    except SchemaError as exc:
        raise CommandError(f"{command} did nothing: {exc}") from None
    except DatabaseError as exc:
        text = str(exc).strip()
        raise CommandError(
            f"{command} did nothing: cannot read the database: "
            f"{text.splitlines()[0] if text else type(exc).__name__}"
        ) from None
    if plan:
        first = plan[0][0]
        more = f" and {len(plan) - 1} more" if len(plan) > 1 else ""
        raise CommandError(
            f"{command} did nothing: the database is not migrated to this release yet "
            f"({first.app_label}.{first.name}{more} pending); run `bitpoll migrate` "
            "(`bitpoll serve` runs it when it starts)"
        )
