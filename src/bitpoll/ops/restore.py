"""Restoring an archive into a database: verified first, then all or nothing.

The rows in an archive fit the schema of the migrations it lists, which may be older than the
installed code. So the restore migrates the database to exactly that state, loads the rows with
the historical models of that state, then migrates forward to the code's state, all inside one
transaction (both SQLite and PostgreSQL roll DDL back). Any failure leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from bitpoll import __version__
from bitpoll.ops.archive import ArchiveError, ArchiveReader, Manifest, verify_archive
from bitpoll.ops.dump import DERIVED, NATURAL_KEYS

Node = tuple[str, str]


class RestoreError(Exception):
    """The restore was refused or failed and nothing changed; one line says why."""


@dataclass
class RestoreResult:
    manifest: Manifest
    replaced: dict[str, int]
    forward_migrations: int
    loaded: dict[str, int] = field(default_factory=dict)
    rerendered: int = 0


def database_contents(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Row counts of the tables a restore would fill or make stale; empty tables left out.

    Content types and permissions do not count: `migrate` creates them in every new database;
    nor do rate limit counters, which a server writes before anything else exists.
    """
    tables = set(connection.introspection.table_names())
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in global_apps.get_models():
            table = model._meta.db_table
            if model._meta.label_lower in DERIVED or model._meta.proxy or table not in tables:
                continue
            if not model._meta.managed or model._meta.label_lower == "ratelimit.counter":
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            count = cursor.fetchone()[0]
            if count:
                counts[model._meta.label_lower] = count
    return counts


def _wipe(connection: BaseDatabaseWrapper) -> None:
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in global_apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.label_lower in DERIVED or model._meta.proxy or table not in tables:
                continue
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


def _drop_tables(connection: BaseDatabaseWrapper) -> None:
    """Drop Bitpoll's tables, the migration records with them.

    Django names every table `<app label>_<model>` (its own `django_*`): the apps are the
    installed ones and those in the migration records, so a newer release's new app goes too,
    and a table of anything else sharing the database stays.
    """
    labels = {config.label for config in global_apps.get_app_configs()} | {"django"}
    recorder = MigrationRecorder(connection)
    if recorder.has_table():
        labels |= {app for app, _ in recorder.applied_migrations()}
    prefixes = tuple(f"{label}_" for label in labels)
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(prefixes):
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}{cascade}")


def _archive_targets(manifest: Manifest, graph: MigrationGraph) -> tuple[list[Node], list[Any]]:
    """The newest archived migration of each app, and migration targets for every app."""
    archived = manifest.migration_nodes()
    unknown = sorted(archived - set(graph.nodes))
    if unknown:
        app, name = unknown[0]
        raise RestoreError(
            f"the archive needs migration {app}.{name}, which Bitpoll {__version__} does not "
            f"have (the archive was written by Bitpoll {manifest.bitpoll_version}): restore it "
            "with that version or a newer one"
        )
    leaves: list[Node] = []
    for app in sorted({app for app, _ in archived}):
        mine = {node for node in archived if node[0] == app}
        leaf = [node for node in mine if mine <= set(graph.forwards_plan(node))]
        if len(leaf) != 1:
            raise RestoreError(f"the archive lists an inconsistent migration history for {app}")
        leaves.append(leaf[0])
    apps_with_migrations = {app for app, _ in graph.leaf_nodes()}
    targets: list[Any] = list(leaves)
    targets += [(app, None) for app in sorted(apps_with_migrations - {a for a, _ in leaves})]
    return leaves, targets


class _Loader:
    """Inserts archived rows with the historical models of the archive's migration state."""

    def __init__(self, state_apps: Apps, connection: BaseDatabaseWrapper) -> None:
        self.apps = state_apps
        self.connection = connection
        self.using = connection.alias
        self.natural: dict[tuple[str, tuple[Any, ...]], Any] = {}
        self.loaded: dict[str, int] = {}
        self.batch: list[models.Model] = []
        self.links: list[tuple[models.ManyToManyField, Any, list[Any]]] = []
        self.model: type[models.Model] | None = None

    def _model(self, label: str) -> type[models.Model]:
        try:
            return self.apps.get_model(label)
        except (LookupError, ValueError):
            raise RestoreError(
                f"the archive holds rows of {label}, a model its own migrations do not define"
            ) from None

    def _by_natural_key(self, model: type[models.Model], key: list[Any]) -> Any:
        label = model._meta.label_lower
        cache_key = (label, tuple(key))
        if cache_key not in self.natural:
            lookups = dict(zip(NATURAL_KEYS[label], key, strict=True))
            try:
                pk = (
                    model._base_manager.using(self.using)
                    .values_list("pk", flat=True)
                    .get(**lookups)
                )
            except ObjectDoesNotExist:
                raise RestoreError(
                    f"the archive refers to {label} {key!r}, which does not exist"
                ) from None
            self.natural[cache_key] = pk
        return self.natural[cache_key]

    def _related(self, relation: models.Field, value: Any) -> Any:
        target = relation.related_model
        assert isinstance(target, type)
        if value is not None and target._meta.label_lower in NATURAL_KEYS:
            return self._by_natural_key(target, value)
        return target._meta.pk.to_python(value)  # type: ignore[union-attr]

    def add(self, row: dict[str, Any]) -> None:
        model = self._model(row["model"])
        if model is not self.model:
            self.flush()
            self.model = model
        meta = model._meta
        assert meta.pk is not None
        values: dict[str, Any] = {meta.pk.attname: meta.pk.to_python(row["pk"])}
        if meta.pk.is_relation:
            values[meta.pk.attname] = self._related(meta.pk, row["pk"])
        pk = values[meta.pk.attname]
        for name, value in row["fields"].items():
            try:
                model_field: Any = meta.get_field(name)
            except FieldDoesNotExist:
                raise RestoreError(
                    f"the archive has a field {row['model']}.{name} that its "
                    "migrations do not define"
                ) from None
            if model_field.many_to_many:
                self.links.append((model_field, pk, value))
            elif model_field.is_relation:
                values[model_field.attname] = self._related(model_field, value)
            else:
                values[model_field.attname] = model_field.to_python(value)
        self.batch.append(model(**values))
        self.loaded[row["model"]] = self.loaded.get(row["model"], 0) + 1
        if len(self.batch) >= 200:
            self.flush()

    def flush(self) -> None:
        model: Any = self.model
        if model is not None and self.batch:
            self._insert(model, self.batch, list(model._meta.local_concrete_fields))
        self.batch = []
        for m2m, owner, targets in self.links:
            through: Any = m2m.remote_field.through
            source = through._meta.get_field(m2m.m2m_field_name())
            target = through._meta.get_field(m2m.m2m_reverse_field_name())
            rows = [
                through(**{source.attname: owner, target.attname: self._related(m2m, key)})
                for key in targets
            ]
            self._insert(through, rows, [source, target])
        self.links = []

    def _insert(self, model: type[models.Model], objs: list[Any], fields: list[Any]) -> None:
        # raw=True stores the archived values as they are: auto_now fields keep their time.
        size = max(1, min(200, 900 // max(1, len(fields))))
        for start in range(0, len(objs), size):
            model._base_manager.using(self.using)._insert(  # type: ignore[attr-defined]
                objs[start : start + size], fields=fields, using=self.using, raw=True
            )


def restore_archive(
    path: Path,
    using: str = DEFAULT_DB_ALIAS,
    force: bool = False,
    announce: Callable[[str], None] = lambda message: None,
    drop_tables: bool = False,
) -> RestoreResult:
    """Restore `path`; `drop_tables` (for `--before-upgrade`) drops every table first, since
    a newer release's migrations cannot be reversed by code that does not have them."""
    manifest = verify_archive(path)
    connection = connections[using]
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    leaves, targets = _archive_targets(manifest, loader.graph)
    existing = database_contents(connection)
    force = force or drop_tables
    if existing and not force:
        raise RestoreError(
            f"the database is not empty ({_describe(existing)}): restore only into an empty "
            "database, or pass --force to replace everything in it"
        )
    if existing:
        announce(
            f"--force: replacing {_describe(existing)} in database "
            f"{connection.settings_dict['NAME']}; everyone will have to log in again"
        )
    result = RestoreResult(manifest=manifest, replaced=existing, forward_migrations=0)
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        # SQLite can only switch foreign keys off outside a transaction; schema changes in
        # the transaction below need them off. They are checked as a whole before commit.
        connection.ensure_connection()
        connection.disable_constraint_checking()
    try:
        with transaction.atomic(using=using):
            if drop_tables:
                _drop_tables(connection)
            elif existing:
                _wipe(connection)
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(targets)
            if plan:
                state = executor.migrate(targets, plan=plan)
                emit_post_migrate_signal(0, False, using, apps=state.apps, plan=plan)
            state_apps = executor.loader.project_state(leaves, at_end=True).apps
            rows = _Loader(state_apps, connection)
            with ArchiveReader(path) as reader:
                for row in reader.rows():
                    rows.add(row)
                rows.flush()
            result.loaded = rows.loaded
            # Check the loaded rows' foreign keys now: PostgreSQL refuses to alter tables with
            # deferred checks pending, and a broken archive should fail before any migration.
            connection.check_constraints()
            executor = MigrationExecutor(connection)
            forward = executor.migration_plan(executor.loader.graph.leaf_nodes())
            result.forward_migrations = len(forward)
            if forward:
                call_command(
                    "migrate",
                    database=using,
                    interactive=False,
                    verbosity=0,
                    skip_checks=True,
                    no_snapshot=True,  # the archive being restored is the snapshot
                )
            _reset_sequences(connection)
            # Stored HTML is derived data: made again from the source text, so that an
            # archive can never put markup on a page that the sanitiser did not produce.
            from bitpoll.polls.services import rerender_descriptions

            result.rerendered = rerender_descriptions(using)
            # Likewise each answer's folded votes (and the triggers emptied them while the
            # votes went in).
            from bitpoll.polls.fold import refold

            refold(using=using)
            if sqlite:
                connection.check_constraints()
    except (ArchiveError, RestoreError):
        raise
    except IrreversibleError as exc:
        raise RestoreError(
            f"cannot migrate this database back to the archive's state ({exc}); restore into a "
            "new, empty database instead"
        ) from None
    except (ValidationError, ValueError, TypeError) as exc:
        raise RestoreError(f"the archive holds a value this schema rejects: {exc}") from None
    finally:
        if sqlite:
            connection.enable_constraint_checking()
    return result


def _reset_sequences(connection: BaseDatabaseWrapper) -> None:
    """Point PostgreSQL's id sequences past the restored ids (SQLite tracks them itself)."""
    statements = connection.ops.sequence_reset_sql(
        no_style(), global_apps.get_models(include_auto_created=True)
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
