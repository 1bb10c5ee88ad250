"""Prepared statements for the few hand-written statements on busy paths (PostgreSQL).

Django's PostgreSQL backend binds parameters on the client: every statement goes out as
text with its values spliced in, and the server parses and plans it again each time. The
statements answering and the page cache run hundreds of times a second (`bitpoll.polls.sql`,
the page cache's own-entry query, the rate limit counter) go through `cursor()` instead: it
binds on the server and prepares each statement the first time a connection runs it, so a
cache hit or an answer costs the server an execution only. The ORM's queries are left alone
(Django documents that some of them fail with server-side binding).

Prepared statements live in one server session. A connection pooler in transaction mode
(PgBouncer before 1.21, or without `max_prepared_statements`) hands a client a different
session for each transaction, and the statement is missing there:
BITPOLL_DATABASE_PREPARED_STATEMENTS=false turns them off (see settings.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.transaction import atomic

M = TypeVar("M", bound=Model)


def enabled(connection: Any = None) -> bool:
    """Whether this connection (by default the default database's) prepares the hand-written
    statements."""
    if connection is None:
        connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return False
    return connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None


def cursor(connection: Any = None) -> Any:
    """A cursor for hand-written statements (use it as a context manager), by default on the
    default database's connection.

    On PostgreSQL with prepared statements on, a server-binding psycopg cursor in Django's
    wrapper (so errors are translated as usual); on SQLite, sqlite3's own cursor (see
    SQLiteCursor); while queries are logged or wrapped, and elsewhere, `connection.cursor()`.
    Placeholders are `%s` in every case.
    """
    # The wrapper itself rather than django.db.connection, a proxy that looks the wrapper up
    # again (in a context-local store) on each attribute: several are read here.
    if connection is None:
        connection = connections[DEFAULT_DB_ALIAS]
    if connection.queries_logged or connection.execute_wrappers:
        # Queries are logged under DEBUG and while a test captures them: Django's own cursor
        # logs each with its values (a prepared statement's text would read as None).
        return connection.cursor()
    if connection.vendor == "sqlite":
        if connection.connection is None:
            connection.ensure_connection()
        connection.validate_thread_sharing()
        return SQLiteCursor(connection, connection.connection.cursor())
    if not enabled(connection):
        return connection.cursor()
    import psycopg

    # What connection.cursor() does before it creates its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw: Any = psycopg.Cursor(connection.connection)
    return connection.make_cursor(raw)


def transaction(connection: Any = None) -> Any:
    """transaction.atomic() for a block of hand-written statements (use it as a context
    manager), by default on the default database's connection.

    On Bitpoll's SQLite backend, outside any other transaction and while queries are not
    logged, the block is its `immediate_transaction()`: the same BEGIN IMMEDIATE and COMMIT
    without atomic()'s bookkeeping. Everywhere else, atomic() itself.
    """
    if connection is None:
        connection = connections[DEFAULT_DB_ALIAS]
    if (
        hasattr(connection, "immediate_transaction")
        and not connection.in_atomic_block
        and not connection.queries_logged
        and not connection.execute_wrappers
    ):
        return connection.immediate_transaction()
    return atomic(using=connection.alias)


@functools.cache
def _qmark(statement: str) -> str:
    """A statement written with `%s` placeholders, in sqlite3's `?` style."""
    return statement.replace("%s", "?")


class SQLiteCursor:
    """sqlite3's own cursor, with Django's error translation and transaction check.

    sqlite3 keeps its prepared statements in a per-connection cache, so the statements are
    compiled once already; what a Django cursor adds on top (its wrapper chain, a regular
    expression over each statement to turn `%s` into `?`) was two thirds of the time of the
    page cache's one query. Only for the hand-written statements here: the ORM keeps Django's
    cursor.
    """

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: Any, raw: Any) -> None:
        self._connection = connection
        self._cursor = raw

    def __enter__(self) -> SQLiteCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._cursor.close()

    # Errors are turned into Django's by the same wrapper Django's cursor uses, entered only
    # when one is raised: re-raised inside it, an exception reaches its __exit__ as it came.

    def execute(self, statement: str, params: Sequence[Any] = ()) -> SQLiteCursor:
        self._connection.validate_no_broken_transaction()
        try:
            self._cursor.execute(_qmark(statement), params)
        except Exception:
            with self._connection.wrap_database_errors:
                raise
        return self

    def executemany(self, statement: str, param_list: Iterable[Sequence[Any]]) -> SQLiteCursor:
        self._connection.validate_no_broken_transaction()
        try:
            self._cursor.executemany(_qmark(statement), param_list)
        except Exception:
            with self._connection.wrap_database_errors:
                raise
        return self

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except Exception:
            with self._connection.wrap_database_errors:
                raise

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()  # type: ignore[no-any-return]
        except Exception:
            with self._connection.wrap_database_errors:
                raise

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid  # type: ignore[no-any-return]

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount  # type: ignore[no-any-return]


@functools.cache
def _converters(model: type[Model], attnames: tuple[str, ...], alias: str) -> list[Any]:
    """Per column, the converters the ORM would apply to it (the backend's, then the field's)."""
    connection = connections[alias]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    result = []
    for name in attnames:
        column = fields[name].get_col(model._meta.db_table)
        result.append(
            (
                column,
                connection.ops.get_db_converters(column) + column.get_db_converters(connection),
            )
        )
    return result


def build(
    model: type[M], attnames: tuple[str, ...], row: Sequence[Any], alias: str = DEFAULT_DB_ALIAS
) -> M:
    """The instance Model.from_db makes of a row of these columns (any others deferred), with
    the values converted as the ORM converts them.

    Without Model.__init__'s walk over every field of the model, which cost a cached poll
    page's one query a third of its time; tests/polls/test_sql.py compares the two. A model
    with pre_init or post_init receivers gets Model.from_db itself.
    """
    connection = connections[alias]
    values = list(row)
    for i, (column, converters) in enumerate(_converters(model, attnames, alias)):
        for convert in converters:
            values[i] = convert(values[i], column, connection)
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(alias, attnames, values)
    instance = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = alias
    instance._state = state
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


@functools.cache
def _select(model: type[Model], alias: str, where: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """SELECT of every concrete column of `model`, `where` the named columns equal the
    parameters, in the model's default order."""
    meta = model._meta
    qn = connections[alias].ops.quote_name
    fields = {field.attname: field for field in meta.concrete_fields}
    attnames = tuple(fields)
    columns = ", ".join(qn(str(field.column)) for field in fields.values())
    conditions = " AND ".join(f"{qn(str(fields[name].column))} = %s" for name in where)
    order = []
    for item in meta.ordering or ():
        assert isinstance(item, str), f"{model.__name__}: only plain field names are ordered by"
        name = item.lstrip("-")
        column = (
            meta.pk.column
            if name == "pk" and meta.pk
            else getattr(meta.get_field(name), "column", None)
        )
        assert column, f"{model.__name__}.{name}: not a column"
        order.append(qn(str(column)) + (" DESC" if item.startswith("-") else ""))
    statement = f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {conditions}"  # noqa: S608
    if order:
        statement += " ORDER BY " + ", ".join(order)
    return statement, attnames


def select(model: type[M], alias: str = DEFAULT_DB_ALIAS, **where: Any) -> list[M]:
    """`model.objects.filter(**where)` in the model's default order, every field loaded, for
    plain column equalities (`poll_id=...`), without compiling a query each time: a poll
    page's render read its options, scale and comments so, at about a millisecond each."""
    statement, attnames = _select(model, alias, tuple(where))
    with cursor(connections[alias]) as found:
        found.execute(statement, list(where.values()))
        rows = found.fetchall()
    return [build(model, attnames, row, alias) for row in rows]
