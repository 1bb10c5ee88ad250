"""The same import with the original's database on PostgreSQL, as production deployments run it.

A throwaway cluster (tests/pgcluster.py) gets the schema the original's migrations create on
PostgreSQL 15 (schema-postgresql.sql); the sample's rows are copied over, column by column,
then imported from there. The figures must be the same as from SQLite.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import pgcluster

from .conftest import SAMPLE, import_bitpoll
from .figures import check_all

pytestmark = pytest.mark.django_db


def _ddl(path: Path) -> str:
    # psql meta-commands (\restrict ...) are not SQL.
    return "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("\\")
    )


def _value(value: Any, pg_type: str) -> Any:
    if value is None:
        return None
    if pg_type == "boolean":
        return bool(value)
    if pg_type.startswith("timestamp"):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    if pg_type == "numeric":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return value


def load_sample(url: str, upstream: Path) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(_ddl(upstream / "schema-postgresql.sql"))  # type: ignore[call-overload]
    lite = sqlite3.connect(f"{(upstream / SAMPLE).as_uri()}?mode=ro", uri=True)
    with psycopg.connect(url) as pg:
        pg.execute("SET session_replication_role = replica")  # rows in any order, FKs off
        tables = [
            r[0]
            for r in pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        for table in tables:
            types = dict(
                pg.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s",
                    (table,),
                ).fetchall()
            )
            cursor = lite.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            names = [d[0] for d in cursor.description]
            rows = [
                [_value(v, types[n]) for n, v in zip(names, row, strict=True)] for row in cursor
            ]
            if rows:
                cols = ", ".join(f'"{n}"' for n in names)
                marks = ", ".join(["%s"] * len(names))
                with pg.cursor() as cur:
                    cur.executemany(
                        f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # type: ignore[arg-type]  # noqa: S608
                        rows,
                    )
    lite.close()


@pytest.fixture(scope="module")
def pg_source(upstream: Path) -> Iterator[str]:
    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with pgcluster.Cluster() as cluster:
        url = cluster.create_database("original_bitpoll")
        load_sample(url, upstream)
        yield url


def test_it_imports_every_figure_from_postgresql(pg_source: str, expected: dict[str, Any]) -> None:
    report = import_bitpoll(pg_source, "--keep-admin-rights")
    assert "Source: PostgreSQL" in report
    assert "poll.0020_alter_poll_allow_unauthenticated_vote_changes" in report
    check_all(expected, report, admin_rights=True)


def test_postgresql_and_sqlite_give_the_same_report(pg_source: str, sample_url: str) -> None:
    def body(report: str) -> list[str]:
        return report.splitlines()[2:]  # all but "Dry run" and the source line

    from_pg = import_bitpoll(pg_source, "--dry-run")
    from_sqlite = import_bitpoll(sample_url, "--dry-run")
    assert body(from_pg) == body(from_sqlite)
