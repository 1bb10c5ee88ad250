"""The SQLite backend queues writers on a lock file instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from bitpoll import conf
from bitpoll.core.sqlite.base import DatabaseWrapper


def wrapper(path: Path) -> DatabaseWrapper:
    settings: dict[str, Any] = {
        **conf.database_config("UNSET_FOR_TEST", default_sqlite=path, data=path.parent),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias=f"lock-test-{id(settings)}")


def lock_is_free(path: Path) -> bool:
    fd = os.open(f"{path}-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.fixture(autouse=True)
def own_connections(django_db_blocker: Any) -> Any:
    """These tests open their own connections to their own files, outside the test database."""
    with django_db_blocker.unblock():
        yield


def test_it_holds_the_write_lock_exactly_for_a_transaction(tmp_path: Path) -> None:
    db_path = tmp_path / "db.sqlite3"
    db = wrapper(db_path)
    try:
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        assert lock_is_free(db_path)
        db.set_autocommit(True)
        with db.cursor() as cursor:
            db._start_transaction_under_autocommit()
            cursor.execute("INSERT INTO t VALUES (1)")
            assert not lock_is_free(db_path)
            db.commit()
        assert lock_is_free(db_path)
        db._start_transaction_under_autocommit()
        assert not lock_is_free(db_path)
        db.rollback()
        assert lock_is_free(db_path)
    finally:
        db.close()
    assert lock_is_free(db_path)


def test_it_makes_a_second_writer_wait_for_the_first_and_keeps_both(tmp_path: Path) -> None:
    db_path = tmp_path / "db.sqlite3"
    first = wrapper(db_path)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x INTEGER)")
    order: list[str] = []
    second_started = threading.Event()

    def second_writer() -> None:
        second = wrapper(db_path)  # Django connections belong to the thread that made them
        second.ensure_connection()  # as atomic() does before it begins
        second_started.set()
        second._start_transaction_under_autocommit()  # blocks until the first commits
        order.append("second began")
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        second.commit()
        second.close()

    first._start_transaction_under_autocommit()
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    thread = threading.Thread(target=second_writer)
    thread.start()
    second_started.wait(timeout=30)
    order.append("first commits")
    first.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert order == ["first commits", "second began"]
    with first.cursor() as cursor:
        cursor.execute("SELECT x FROM t ORDER BY x")
        assert [r[0] for r in cursor.fetchall()] == [1, 2]
    first.close()


@pytest.mark.django_db
def test_it_is_the_configured_engine_for_sqlite() -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "bitpoll.core.sqlite":
        pytest.skip("the suite runs on PostgreSQL")
    assert conf.database_config("UNSET_FOR_TEST", Path("/x.sqlite3"), Path("/"))["ENGINE"] == (
        "bitpoll.core.sqlite"
    )
