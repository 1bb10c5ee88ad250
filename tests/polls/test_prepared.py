"""PostgreSQL: the hand-written statements of busy paths are prepared, the ORM's are not, and
BITPOLL_DATABASE_PREPARED_STATEMENTS=false turns preparing off (bitpoll.core.prepared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bitpoll.core import prepared
from bitpoll.polls import sql
from bitpoll.polls.models import Entry
from serverutil import clean_env, run_bitpoll

from .conftest import World

SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps(s.DATABASES['default']['OPTIONS'].get('prepare_threshold')))"
)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [str(row[0]) for row in cursor.fetchall()]


def _answer(client: Client, world: World, name: str) -> None:
    options = list(world.poll.options.all())
    choice = world.poll.choices.first()
    assert choice is not None
    data = {"name": name, **{f"o{o.pk}": str(choice.pk) for o in options}}
    response = client.post(f"/{world.poll.slug}/answer/", data)
    assert response.status_code == 302, response.content[:500]
    assert Entry.objects.filter(poll=world.poll, name=name).exists()


@pytest.mark.django_db
def test_busy_statements_are_prepared_and_the_orms_are_not(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (BITPOLL_TEST_BACKEND=postgresql)")
    assert prepared.enabled()
    client = Client()
    assert client.get(f"/{world.poll.slug}/").status_code == 200  # rendered: ORM queries
    assert client.get(f"/{world.poll.slug}/").status_code == 200  # the cache hit
    _answer(client, world, "Prudence")
    found = _prepared_statements()
    # The page cache's and the answer's statements, with the parameters bound on the server.
    poll_statement = sql._statements()["poll"].replace("%s", "$1")
    assert poll_statement in found
    assert any(s.startswith("SELECT bitpoll_answer($1::bigint") for s in found)
    # Nothing the ORM compiled (it qualifies every column with its table).
    assert not [s for s in found if '"polls_poll"."' in s or '"polls_option"."' in s]


@pytest.mark.django_db
def test_off_means_djangos_own_cursor(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (BITPOLL_TEST_BACKEND=postgresql)")
    monkeypatch.delitem(connection.settings_dict["OPTIONS"], "prepare_threshold")
    assert not prepared.enabled()
    import psycopg

    with prepared.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)  # binds on the client
    # The answer path works the same without them.
    _answer(Client(), world, "Unprepared")
    assert sql.get_poll(world.poll.slug) is not None


def test_sqlite_never_prepares(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("runs on SQLite only")
    assert not prepared.enabled()


def test_on_sqlite_the_statements_run_on_sqlite3s_own_cursor(world: World) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("runs on SQLite only")
    with prepared.cursor() as cursor:
        assert isinstance(cursor, prepared.SQLiteCursor)
        cursor.execute("SELECT %s + %s, %s", [1, 2, "text"])
        assert cursor.fetchone() == (3, "text")
    # Captured (or logged) queries go through Django's cursor, so that they are counted.
    with CaptureQueriesContext(connection) as queries, prepared.cursor() as cursor:
        assert not isinstance(cursor, prepared.SQLiteCursor)
        cursor.execute("SELECT %s", [1])
    assert len(queries) == 1


def test_sqlites_errors_arrive_as_djangos(world: World) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("runs on SQLite only")
    statement = 'INSERT INTO "polls_poll" ("id", "slug") VALUES (%s, %s)'
    with pytest.raises(IntegrityError), prepared.cursor() as cursor:
        cursor.execute(statement, [world.poll.pk, "taken"])
    with pytest.raises(OperationalError), prepared.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    # After an error inside a transaction, nothing more runs in it, as with Django's cursor.
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            with prepared.cursor() as cursor:
                cursor.execute(statement, [world.poll.pk, "taken"])
        with pytest.raises(TransactionManagementError), prepared.cursor() as cursor:
            cursor.execute("SELECT 1")


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("false", None)])
def test_the_variable_turns_them_on_and_off(
    tmp_path: Path, value: str | None, expected: object
) -> None:
    env = {"BITPOLL_DATABASE_URL": "postgresql://bitpoll@db.internal:5433/polls"}
    if value is not None:
        env["BITPOLL_DATABASE_PREPARED_STATEMENTS"] = value
    result = run_bitpoll(["shell", "--no-imports", "-c", SHOW], clean_env(tmp_path / "data", **env))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_a_bad_value_stops_with_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", BITPOLL_DATABASE_PREPARED_STATEMENTS="sometimes")
    result = run_bitpoll(["check"], env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BITPOLL_DATABASE_PREPARED_STATEMENTS" in lines[0] and "true or false" in lines[0]
