"""The SQLite backend queues writers on a lock file instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bitpoll import conf
from bitpoll.core.sqlite import base as sqlite_base
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


def rows_in_main_file(path: Path) -> int:
    """Rows of t in the database file itself, ignoring the write-ahead log."""
    reader = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return int(reader.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:  # not even the table has been checkpointed yet
        return 0
    finally:
        reader.close()


def frames_in_log(path: Path) -> int:
    """How many frames the write-ahead log holds since it last started over."""
    other = sqlite3.connect(path)
    try:
        return int(other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        other.close()


def table_db(path: Path) -> DatabaseWrapper:
    """An autocommitting connection to a database at `path` holding one empty table, t."""
    db = wrapper(path)
    db.set_autocommit(True)
    with db.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x INTEGER)")
    return db


@pytest.fixture
def in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process checkpoints on a thread, as bitpoll serve's workers do."""
    monkeypatch.setattr(sqlite_base, "_background", None)
    sqlite_base.checkpoint_in_background()


def commit_rows(db: DatabaseWrapper, count: int) -> None:
    for i in range(count):
        db._start_transaction_under_autocommit()
        with db.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (%s)", [i])
        db.commit()


def test_it_leaves_checkpoints_to_itself_not_to_sqlite(tmp_path: Path) -> None:
    db = wrapper(tmp_path / "db.sqlite3")
    try:
        with db.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 0
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        db.close()


def test_it_checkpoints_after_every_so_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_EVERY", 5)
    db_path = tmp_path / "db.sqlite3"
    db = table_db(db_path)
    try:
        commit_rows(db, 4)
        assert rows_in_main_file(db_path) == 0  # all still in the log
        commit_rows(db, 1)  # the fifth commit
        assert rows_in_main_file(db_path) == 5
        assert lock_is_free(db_path)
        commit_rows(db, 1)
        assert frames_in_log(db_path) <= 2
    finally:
        db.close()


def test_server_workers_checkpoint_on_a_thread_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_a_worker: None
) -> None:
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_EVERY", 5)
    db_path = tmp_path / "db.sqlite3"
    db = table_db(db_path)
    try:
        commit_rows(db, 5)
        checkpointer = sqlite_base._checkpointer(str(db_path))
        assert checkpointer is not None and checkpointer.thread.is_alive()
        assert checkpointer.done.wait(timeout=30)
        assert rows_in_main_file(db_path) == 5
        assert lock_is_free(db_path)
        # The whole log was copied, so the next write starts it over instead of growing it
        # (it grew without bound under steady writes when the thread left that to chance).
        commit_rows(db, 1)
        assert frames_in_log(db_path) <= 2
    finally:
        db.close()


def test_bitpoll_serve_moves_its_workers_checkpoints_to_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bitpoll.core.management.commands import serve

    monkeypatch.setattr(sqlite_base, "_background", None)
    hook = serve.gunicorn_options()["post_fork"]
    assert sqlite_base._checkpointer("/unused") is None  # the master: inline, it forks
    hook(object(), object())  # what gunicorn calls in each new worker
    assert sqlite_base._background == {}


def test_the_checkpoint_thread_finishes_under_the_write_lock(
    tmp_path: Path, in_a_worker: None
) -> None:
    db_path = tmp_path / "db.sqlite3"
    db = table_db(db_path)
    try:
        commit_rows(db, 2)
        checkpointer = sqlite_base._checkpointer(str(db_path))
        assert checkpointer is not None
        with sqlite_base._WriteLock(str(db_path)):  # a writer in the middle of its transaction
            checkpointer.request()
            # The passive pass is done; the one that lets the log start over waits its turn.
            assert not checkpointer.done.wait(timeout=1)
        assert checkpointer.done.wait(timeout=30)
        assert rows_in_main_file(db_path) == 2
    finally:
        db.close()


def test_the_log_stays_small_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_a_worker: None
) -> None:
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_EVERY", 20)
    db_path = tmp_path / "db.sqlite3"
    db = table_db(db_path)
    try:
        for _ in range(30):  # 600 commits, at a steady pace, while the thread checkpoints
            commit_rows(db, 20)
            time.sleep(0.02)
        log_size = (tmp_path / "db.sqlite3-wal").stat().st_size
    finally:
        db.close()
    # Without checkpoints that let it start over, the log would hold all 600 commits (2.4 MB
    # or more); with them, about what comes in between two.
    assert log_size < 300 * (4096 + 24)


def test_write_lock_queues_one_autocommit_statement_on_the_lock_file(tmp_path: Path) -> None:
    """A single write outside a transaction (a rate limit counter) takes the same flock()."""
    path = tmp_path / "db.sqlite3"
    db = wrapper(path)
    try:
        with db.write_lock():
            assert not lock_is_free(path)
            assert not db.in_atomic_block
            with db.cursor() as cursor:
                cursor.execute("CREATE TABLE t (x)")
                cursor.execute("INSERT INTO t VALUES (1)")
        assert lock_is_free(path)
        # Committed by itself: another connection sees the row.
        assert sqlite3.connect(path).execute("SELECT x FROM t").fetchall() == [(1,)]
    finally:
        db.close()


def test_immediate_transaction_commits_under_the_write_lock(tmp_path: Path) -> None:
    db_path = tmp_path / "db.sqlite3"
    db = wrapper(db_path)
    other = sqlite3.connect(db_path)
    try:
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        with db.immediate_transaction():
            db.connection.execute("INSERT INTO t VALUES (1)")
            assert db.connection.in_transaction
            assert not lock_is_free(db_path)
            # Not committed yet: another connection does not see the row.
            assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
        assert lock_is_free(db_path)
        assert not db.connection.in_transaction
        assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (1,)
        assert db.get_autocommit() and not db.in_atomic_block
    finally:
        other.close()
        db.close()


def test_immediate_transaction_rolls_back_on_an_error_and_translates_it(tmp_path: Path) -> None:
    from django.db import IntegrityError

    from bitpoll.core import prepared

    db_path = tmp_path / "db.sqlite3"
    db = wrapper(db_path)
    try:
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER UNIQUE)")
        with pytest.raises(IntegrityError), db.immediate_transaction():
            with prepared.cursor(db) as cursor:
                cursor.execute("INSERT INTO t VALUES (%s)", [1])
                cursor.execute("INSERT INTO t VALUES (%s)", [1])  # Django's error, not sqlite3's
        assert lock_is_free(db_path)
        assert not db.connection.in_transaction
        with db.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM t")
            assert cursor.fetchone() == (0,)  # the first insert was rolled back too
        with pytest.raises(ZeroDivisionError), db.immediate_transaction():
            db.connection.execute("INSERT INTO t VALUES (2)")
            _ = 1 / 0
        assert lock_is_free(db_path)
        with db.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM t")
            assert cursor.fetchone() == (0,)
    finally:
        db.close()


def test_immediate_transaction_is_only_for_the_outermost_transaction(tmp_path: Path) -> None:
    from django.db import ProgrammingError
    from django.db.transaction import Atomic

    from bitpoll.core import prepared

    db = wrapper(tmp_path / "db.sqlite3")
    try:
        assert not isinstance(prepared.transaction(db), Atomic)
        db.in_atomic_block = True  # as inside atomic()
        with pytest.raises(ProgrammingError), db.immediate_transaction():
            pass
        # prepared.transaction() falls back to atomic(), a savepoint there.
        assert isinstance(prepared.transaction(db), Atomic)
        db.in_atomic_block = False
        db.force_debug_cursor = True  # queries logged: atomic() too, so BEGIN is logged
        assert isinstance(prepared.transaction(db), Atomic)
    finally:
        db.in_atomic_block = False
        db.close()
