"""SQLite with a fair, sleep-free queue for writers.

SQLite lets one writer in at a time; the others wait in its busy handler, which polls with
sleeps of up to 100 ms. Under a burst of answers that turns a 2 ms write into tens of
milliseconds of waiting. Here every write transaction (Django starts them with
BEGIN IMMEDIATE) first takes an exclusive flock() on a lock file beside the database: the
kernel wakes the next writer, thread or process, the moment the previous one commits. The
busy timeout stays as the safety net for writes outside a transaction and for other programs.

Checkpoints (copying the write-ahead log back into the database, then an fsync) mostly leave
the request path too. By default SQLite runs one inside the commit that fills the log past 1000
pages, so every hundredth answer held the queue for the 20-40 ms of two fsyncs. Here automatic
checkpoints are off and each connection asks for one after every CHECKPOINT_EVERY of its
commits. In `bitpoll serve`'s workers (see checkpoint_in_background) a thread with its own
connection first runs a passive checkpoint, which copies the bulk of the log without blocking
anyone, then a second one under the write lock for what was added meanwhile: the log can only
start over from its beginning once a checkpoint has copied all of it, and without that moment
it grew without bound under steady writes. Elsewhere the connection checkpoints inline, before
it lets the lock go. SQLite also checkpoints when the last connection closes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import Error, ProgrammingError
from django.db.backends.sqlite3 import base

CHECKPOINT_EVERY = 100  # commits per connection; a log of about 10 MB while answers pour in
# Copies what no reader still needs, blocking no reader or writer.
PASSIVE_CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"

log = logging.getLogger("bitpoll.sqlite")
_background: dict[str, Checkpointer] | None = None  # by database path, once enabled
_background_lock = threading.Lock()


def checkpoint_in_background() -> None:
    """Run this process's checkpoints in a thread (for server workers, after the fork).

    Not for a process that forks later: a thread holding one of SQLite's locks at the fork
    would leave the child waiting for it forever.
    """
    global _background
    with _background_lock:
        if _background is None:
            _background = {}


class _WriteLock:
    """The exclusive flock() on `<database>-writelock` that write transactions queue on."""

    def __init__(self, database: str) -> None:
        self.path = f"{database}-writelock"
        self.fd: int | None = None

    def acquire(self) -> None:
        # One open file per holder: flock() locks belong to the open file, so threads
        # sharing a descriptor would not exclude each other.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor releases the lock

    def __enter__(self) -> _WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Checkpointer:
    """A daemon thread that runs a passive checkpoint of one database whenever asked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.wanted = threading.Event()
        self.done = threading.Event()  # set after each checkpoint; for the tests
        self.thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self.thread.start()

    def request(self) -> None:
        self.wanted.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        while True:
            self.wanted.wait()
            self.wanted.clear()
            try:
                # The fsyncs wait with the GIL released, while the worker serves requests.
                connection.execute(PASSIVE_CHECKPOINT).fetchall()
                with _WriteLock(self.path):
                    connection.execute(PASSIVE_CHECKPOINT).fetchall()
            except (OSError, sqlite3.Error) as error:
                log.warning("checkpoint of %s failed (tried again later): %s", self.path, error)
            self.done.set()


def _checkpointer(path: str) -> Checkpointer | None:
    if _background is None:
        return None
    with _background_lock:
        found = _background.get(path)
        if found is None:
            found = _background[path] = Checkpointer(path)
        return found


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock: _WriteLock | None = None
        self._commits = 0

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # see _checkpoint_now_and_then
        return conn

    def _start_transaction_under_autocommit(self) -> None:
        if (
            getattr(self, "transaction_mode", None) == "IMMEDIATE"
            and self._write_lock is None
            and not self.is_in_memory_db()
        ):
            lock = _WriteLock(str(self.settings_dict["NAME"]))
            lock.acquire()
            self._write_lock = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Queue for the write lock around one statement run in autocommit mode.

        For a single small write (a rate limit counter) this is a transaction without the
        round trips of BEGIN and COMMIT. Inside a transaction the lock is already held.
        """
        self.ensure_connection()  # which reads the transaction mode from the settings
        if (
            self.in_atomic_block
            or self._write_lock is not None
            or getattr(self, "transaction_mode", None) != "IMMEDIATE"
            or self.is_in_memory_db()
        ):
            yield
            return
        lock = _WriteLock(str(self.settings_dict["NAME"]))
        lock.acquire()
        self._write_lock = lock
        try:
            yield
            self._checkpoint_now_and_then()
        finally:
            self._release_write_lock()

    @contextmanager
    def immediate_transaction(self) -> Iterator[None]:
        """A write transaction for a few hand-written statements (bitpoll.core.prepared):
        BEGIN IMMEDIATE behind the write lock, then COMMIT, or ROLLBACK on an exception.

        What the database sees is what transaction.atomic() sends, without its bookkeeping
        (autocommit switched off and back on, the atomic block's state, commit hooks), which
        cost an answer a tenth of its write. Only outside any transaction, and only for
        statements: nothing inside may open a transaction, savepoint or commit hook.
        """
        if self.in_atomic_block:
            raise ProgrammingError("immediate_transaction() cannot run inside a transaction")
        self.ensure_connection()
        self.validate_thread_sharing()
        self._start_transaction_under_autocommit()
        try:
            yield
        except BaseException:
            try:
                self._rollback()
            except Error:
                self.close()  # as atomic() does: the connection's state is unknown now
            else:
                self.errors_occurred = False
            raise
        self._commit()

    def _release_write_lock(self) -> None:
        lock, self._write_lock = self._write_lock, None
        if lock is not None:
            lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
            self._checkpoint_now_and_then()
        finally:
            self._release_write_lock()

    def _checkpoint_now_and_then(self) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or self.connection is None or self.is_in_memory_db():
            return
        background = _checkpointer(str(self.settings_dict["NAME"]))
        if background is not None:
            background.request()
            return
        try:
            # Still holding the write lock, so nothing is added meanwhile and the log can
            # start over; this commit has succeeded whatever happens here.
            self.connection.execute(PASSIVE_CHECKPOINT).fetchall()
        except sqlite3.Error as error:
            log.warning("checkpoint failed (tried again later): %s", error)

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
