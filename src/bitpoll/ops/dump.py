"""The canonical, database-independent dump of everything Bitpoll stores.

What is dumped: every row of every concrete model of the installed apps, except
- contenttypes.ContentType and auth.Permission: derived from the code and recreated by `migrate`;
  rows that point at them (user and group permissions) are written as natural keys instead of ids,
  which differ between databases;
- sessions.Session: login state that expires anyway; restoring it would log people back in;
- admin.LogEntry: a record of admin clicks that refers to objects by a text id and content type;
  nothing in Bitpoll reads it back;
- ratelimit.Counter: counts of recent requests that are meaningless an hour later;
- the columns in SKIPPED_FIELDS: made again from the other rows after a restore.

The dump is JSON Lines, one row per line: `{"fields":{...},"model":"app.model","pk":...}` with
sorted keys, no insignificant whitespace and UTF-8 text. Models come in order of their label,
rows in order of their primary key and many-to-many lists in sorted order, datetimes in UTC ISO
8601 with microseconds. Two dumps of the same data are therefore byte-identical, whichever
database they were taken from.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from django.apps import apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_string

# Models whose rows are never dumped (see the module docstring for why).
DERIVED = frozenset({"contenttypes.contenttype", "auth.permission"})
EPHEMERAL = frozenset({"sessions.session", "admin.logentry", "ratelimit.counter"})
# Columns derived from other rows, which restore makes again (polls.Entry.folded: the
# answer's votes folded for reading pages, see bitpoll.polls.fold; its value depends on ids).
SKIPPED_FIELDS = {"polls.entry": frozenset({"folded"})}
# Rows of these models are referred to by natural key, never by id.
NATURAL_KEYS = {
    "contenttypes.contenttype": ("app_label", "model"),
    "auth.permission": ("codename", "content_type__app_label", "content_type__model"),
}


def dumped_models(registry: Apps | None = None) -> list[type[models.Model]]:
    """Concrete models whose rows the dump holds, in canonical order.

    `registry` is the code's models by default; a snapshot taken before pending migrations
    passes the historical models of the database's state instead, since the code's models
    name columns the database does not have yet.
    """
    chosen = [
        model
        for model in (registry or apps).get_models()
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.label_lower not in DERIVED | EPHEMERAL
    ]
    return sorted(chosen, key=lambda model: model._meta.label_lower)


def encode_value(value: Any) -> Any:
    """A JSON value for a field's Python value, the same for equal values on every backend."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    raise TypeError(f"cannot dump a value of type {type(value).__name__}")


def _natural_key(model: type[models.Model], pk: Any, using: str) -> list[Any]:
    lookups = NATURAL_KEYS[model._meta.label_lower]
    values = model._base_manager.using(using).filter(pk=pk).values_list(*lookups).get()
    return list(values)


def _row(obj: models.Model, using: str, m2m: dict[str, list[Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    skipped = SKIPPED_FIELDS.get(obj._meta.label_lower, frozenset())
    for field in obj._meta.local_concrete_fields:
        if field.primary_key:
            continue  # written once, as "pk"; a child model's parent link is its pk
        if field.name in skipped:
            continue
        raw = getattr(obj, field.attname)
        target = field.related_model if field.is_relation else None
        if (
            isinstance(target, type)
            and target._meta.label_lower in NATURAL_KEYS
            and raw is not None
        ):
            fields[field.name] = _natural_key(target, raw, using)
        else:
            fields[field.name] = encode_value(raw)
    fields.update(m2m)
    return {"model": obj._meta.label_lower, "pk": encode_value(obj.pk), "fields": fields}


def _m2m_values(model: type[models.Model], using: str) -> dict[str, dict[Any, list[Any]]]:
    """For each auto-created many-to-many field: {owner pk: sorted target keys}."""
    result: dict[str, dict[Any, list[Any]]] = {}
    for field in model._meta.local_many_to_many:
        through: Any = field.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is dumped as a model of its own
        source = field.m2m_field_name()
        target_name = field.m2m_reverse_field_name()
        target_model: Any = field.related_model
        links: dict[Any, list[Any]] = {}
        rows = through._base_manager.using(using).values_list(f"{source}_id", f"{target_name}_id")
        for owner, target in rows.iterator():
            if target_model._meta.label_lower in NATURAL_KEYS:
                key: Any = _natural_key(target_model, target, using)
            else:
                key = encode_value(target)
            links.setdefault(owner, []).append(key)
        for keys in links.values():
            keys.sort()
        result[field.name] = links
    return result


def _rows(model: type[models.Model], using: str) -> Iterator[dict[str, Any]]:
    m2m = _m2m_values(model, using)
    queryset = model._base_manager.using(using).all()
    pk_field = model._meta.pk
    assert pk_field is not None
    if pk_field.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"):
        objects: Any = queryset.order_by("pk").iterator(chunk_size=2000)
    else:
        # Text collation differs between databases; Python's order is the same everywhere.
        objects = sorted(queryset, key=lambda obj: encode_value(obj.pk))
    for obj in objects:
        links = {name: per_owner.get(obj.pk, []) for name, per_owner in m2m.items()}
        yield _row(obj, using, links)


def canonical_line(row: dict[str, Any]) -> bytes:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Applied migrations per app, sorted: the schema the dumped rows belong to."""
    recorder = MigrationRecorder(connections[using])
    state: dict[str, list[str]] = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        state.setdefault(app_label, []).append(name)
    return state


@contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """One read transaction that sees a single consistent state while writers carry on.

    PostgreSQL: REPEATABLE READ, READ ONLY, which is a snapshot of the whole database.
    SQLite (WAL): a plain deferred BEGIN followed by a read pins the snapshot; the configured
    IMMEDIATE mode would take the write lock and make every voter wait for the backup.
    """
    connection = connections[using]
    connection.ensure_connection()
    vendor = connection.vendor
    saved_mode = getattr(connection, "transaction_mode", None)
    if vendor == "sqlite":
        connection.transaction_mode = None  # type: ignore[attr-defined]
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                if vendor == "postgresql":
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute("SELECT count(*) FROM django_migrations")
            yield
    finally:
        if vendor == "sqlite":
            connection.transaction_mode = saved_mode  # type: ignore[attr-defined]


def write_dump(
    out: BinaryIO, using: str = DEFAULT_DB_ALIAS, registry: Apps | None = None
) -> dict[str, int]:
    """Write the canonical dump to `out`; return the row count per model label.

    Call it inside `snapshot()` so that all models are read from the same state.
    """
    counts: dict[str, int] = {}
    for model in dumped_models(registry):
        label = model._meta.label_lower
        counts[label] = 0
        for row in _rows(model, using):
            out.write(canonical_line(row))
            counts[label] += 1
    return counts
