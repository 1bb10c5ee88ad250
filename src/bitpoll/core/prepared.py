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

from typing import Any

from django.db import connection as default_connection


def enabled(connection: Any = default_connection) -> bool:
    """Whether this connection prepares the hand-written statements."""
    if connection.vendor != "postgresql":
        return False
    return connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None


def cursor(connection: Any = default_connection) -> Any:
    """A cursor for hand-written statements (use it as a context manager), by default on the
    default database's connection.

    On PostgreSQL with prepared statements on, a server-binding psycopg cursor in Django's
    wrapper (so errors are translated as usual); elsewhere, and while queries are logged,
    `connection.cursor()`. Placeholders are `%s` either way.
    """
    if not enabled(connection) or connection.queries_logged:
        # Queries are logged under DEBUG and while a test captures them: Django's own cursor
        # logs each with its values (a prepared statement's text would read as None).
        return connection.cursor()
    import psycopg

    # What connection.cursor() does before it creates its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw: Any = psycopg.Cursor(connection.connection)
    return connection.make_cursor(raw)
