"""SQLite with a fair, sleep-free queue for writers.

SQLite lets one writer in at a time; the others wait in its busy handler, which polls with
sleeps of up to 100 ms. Under a burst of answers that turns a 2 ms write into tens of
milliseconds of waiting. Here every write transaction (Django starts them with
BEGIN IMMEDIATE) first takes an exclusive flock() on a lock file beside the database: the
kernel wakes the next writer, thread or process, the moment the previous one commits. The
busy timeout stays as the safety net for writes outside a transaction and for other programs.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None

    def _lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writelock"

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._write_lock_fd is not None:
            return
        # One open file per transaction: flock() locks belong to the open file, so threads
        # sharing a descriptor would not exclude each other.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._write_lock_fd = fd

    def _release_write_lock(self) -> None:
        fd, self._write_lock_fd = self._write_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor releases the lock

    def _start_transaction_under_autocommit(self) -> None:
        if getattr(self, "transaction_mode", None) == "IMMEDIATE":
            self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

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
