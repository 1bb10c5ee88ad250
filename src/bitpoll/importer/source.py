"""Reading the original Bitpoll's database, SQLite or PostgreSQL, by column name.

Rows come back as dicts with the raw driver values; `convert` turns them into Python values
that do not depend on the driver (booleans stored as 0/1 on SQLite, datetimes stored as UTC
text, decimals stored as INTEGER or REAL).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# The newest migration of each app that this importer understands (SCHEMA.md). Apps missing
# here (caldav, sessions, ...) are ignored.
KNOWN_MIGRATIONS = {"poll": 20, "base": 8, "invitations": 4, "groups": 1}
REQUIRED_APPS = ("poll", "base")

# Columns every understood version has; others (added since 2017) fall back to the default
# the original's migration gave existing rows.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "poll_poll": ("id", "title", "description", "url", "type", "created", "due_date"),
    "poll_choice": ("id", "poll_id", "text", "date", "sort_key", "deleted"),
    "poll_choicevalue": ("id", "poll_id", "title", "icon", "color", "weight"),
    "poll_vote": ("id", "poll_id", "name", "anonymous", "user_id", "date_created", "comment"),
    "poll_votechoice": ("id", "vote_id", "choice_id", "value_id", "comment"),
    "poll_comment": ("id", "poll_id", "text", "date_created", "name", "user_id"),
    "base_bitpolluser": ("id", "username", "password", "email", "first_name", "last_name"),
}


class SourceError(Exception):
    """The source cannot be read or is not a database this importer understands."""


class Source:
    """A read-only view of the original's tables."""

    description = ""

    def __init__(self) -> None:
        self._columns: dict[str, set[str]] = {}

    def tables(self) -> set[str]:
        raise NotImplementedError

    def _column_names(self, table: str) -> set[str]:
        raise NotImplementedError

    def _query(self, sql: str) -> Iterable[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            self._columns[table] = self._column_names(table)
        return self._columns[table]

    def rows(self, table: str, wanted: Iterable[str]) -> list[dict[str, Any]]:
        """Rows of `table` in id order, with the `wanted` columns that exist (others absent)."""
        if table not in self.tables():
            return []
        present = [c for c in wanted if c in self.columns(table)]
        if not present:
            return []
        cols = ", ".join(f'"{c}"' for c in present)
        order = ' ORDER BY "id"' if "id" in self.columns(table) else ""
        return [
            dict(zip(present, row, strict=True))
            # Names come from this module's constants, checked against the source's own list.
            for row in self._query(f'SELECT {cols} FROM "{table}"{order}')  # noqa: S608
        ]

    def migrations(self) -> list[tuple[str, str]]:
        if "django_migrations" not in self.tables():
            raise SourceError(
                "no django_migrations table: this is not a database of the original Bitpoll"
            )
        return [
            (str(a), str(n))
            for a, n in self._query('SELECT "app", "name" FROM "django_migrations" ORDER BY "id"')
        ]

    def check(self) -> list[str]:
        """Refuse what this importer does not understand; return the migration state."""
        applied = self.migrations()
        state = []
        newest: dict[str, tuple[int, str]] = {}
        for app, name in applied:
            match = re.match(r"^(\d{4})_", name)
            if app not in KNOWN_MIGRATIONS or not match:
                continue
            number = int(match.group(1))
            if number >= newest.get(app, (-1, ""))[0]:
                newest[app] = (number, name)
        for app in REQUIRED_APPS:
            if app not in newest:
                raise SourceError(
                    f"the original's app {app!r} has no migrations recorded: this is not a "
                    "database of the original Bitpoll (or it was never migrated)"
                )
        for app, (number, name) in sorted(newest.items()):
            if number > KNOWN_MIGRATIONS[app]:
                raise SourceError(
                    f"the database is at migration {app}.{name}, newer than this importer "
                    f"understands ({app}.{KNOWN_MIGRATIONS[app]:04d}); its meaning is unknown, so "
                    "nothing was imported. Import from a dump of a version up to commit "
                    "35b0236 of the original, or update Bitpoll"
                )
            state.append(f"{app}.{name}")
        for table, needed in REQUIRED_COLUMNS.items():
            if table not in self.tables():
                raise SourceError(f"table {table} is missing: not a database of the original")
            missing = [c for c in needed if c not in self.columns(table)]
            if missing:
                raise SourceError(f"table {table} lacks columns {', '.join(missing)}")
        return state


class SqliteSource(Source):
    def __init__(self, path: Path) -> None:
        super().__init__()
        if not path.is_file():
            raise SourceError(f"{path} does not exist or is not a file")
        self.description = f"SQLite {path}"
        try:
            # Read-only: an import never writes to the original's database.
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            self._tables = {
                r[0]
                for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{path} cannot be read as SQLite: {exc}") from None

    def tables(self) -> set[str]:
        return self._tables

    def _column_names(self, table: str) -> set[str]:
        return {r[1] for r in self._db.execute(f'PRAGMA table_info("{table}")')}

    def _query(self, sql: str) -> Iterable[tuple[Any, ...]]:
        return self._db.execute(sql).fetchall()

    def close(self) -> None:
        self._db.close()


class PostgresSource(Source):
    def __init__(self, url: str, password: str | None) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError:
            raise SourceError(
                "psycopg is not installed: install bitpoll with the postgres extra"
            ) from None
        parts = urlsplit(url)
        self.description = f"PostgreSQL {parts.hostname or 'local'}{parts.path}"
        kwargs: dict[str, Any] = {"autocommit": False}
        if password:
            kwargs["password"] = password
        try:
            self._db = psycopg.connect(url, **kwargs)
            # One snapshot for the whole read, and never a write to the original.
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._tables = {
                r[0]
                for r in self._db.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema()"
                )
            }
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SourceError(f"cannot read {self.description}: {first}") from None

    def tables(self) -> set[str]:
        return self._tables

    def _column_names(self, table: str) -> set[str]:
        return {
            r[0]
            for r in self._db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (table,),
            )
        }

    def _query(self, sql: str) -> Iterable[tuple[Any, ...]]:
        return self._db.execute(sql).fetchall()  # type: ignore[call-overload]

    def close(self) -> None:
        self._db.rollback()
        self._db.close()


def url_has_password(url: str) -> bool:
    return urlsplit(url).password is not None or re.search(r"[?&]password=", url) is not None


def open_source(url: str, password: str | None = None) -> Source:
    """Open `sqlite:////abs/path`, `sqlite:///rel/path` or `postgresql://...` (no password in the URL) read-only."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        # As BITPOLL_DATABASE_URL: sqlite:///relative (here: to the working directory) and
        # sqlite:////absolute/path.
        parts = urlsplit(url)
        if parts.netloc or len(parts.path) < 2:
            raise SourceError(
                f"{url!r} is not a SQLite URL: use sqlite:////absolute/path.sqlite3 or "
                "sqlite:///relative/path.sqlite3"
            )
        return SqliteSource(Path(unquote(parts.path[1:])))
    if scheme in ("postgresql", "postgres"):
        if url_has_password(url):
            raise SourceError(
                "the URL holds a password, which would be visible to other users of this "
                "machine: remove it and use BITPOLL_IMPORT_PASSWORD_FILE, the credential "
                "import_password or --password-prompt"
            )
        return PostgresSource(url, password)
    raise SourceError(f"{url!r} is not supported: use sqlite:///path or postgresql://...")
