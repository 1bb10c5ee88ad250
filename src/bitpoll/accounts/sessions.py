"""Django's database sessions, read with one hand-written statement.

Every request of a logged-in visitor reads its session. Through the ORM (`.get()` with the
expiry condition) that read cost about twenty times the query itself, more than everything
else a cached poll page does for the visitor. This store reads the same row with the same
conditions (the key, not expired) in a statement built once per process; everything else
(creating, saving, deleting, clearing expired sessions) is Django's database store as it is,
on the same table, so sessions made before or by the plain store keep working.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from bitpoll.core import prepared

DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
LOCAL_BACKEND = "bitpoll.accounts.backends.PasswordBackend"


@functools.cache
def _statement(alias: str) -> str:
    """The session's data by its key, if not expired (the store's `.get()`, written out)."""
    from django.contrib.sessions.models import Session

    qn = connections[alias].ops.quote_name
    meta = Session._meta
    key, data, expiry = (
        qn(str(getattr(meta.get_field(name), "column", "")))
        for name in ("session_key", "session_data", "expire_date")
    )
    return f"SELECT {data} FROM {qn(meta.db_table)} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608


class SessionStore(db.SessionStore):
    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        data: dict[str, Any] = super().decode(session_data)
        # Logged in before PasswordBackend took the place of Django's ModelBackend (which it
        # extends): the same login, so the session stays valid.
        if data.get(BACKEND_SESSION_KEY) == DJANGO_MODEL_BACKEND:
            data[BACKEND_SESSION_KEY] = LOCAL_BACKEND
        return data

    def _get_session_from_db(self) -> Any:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with prepared.cursor(connection) as cursor:
            cursor.execute(_statement(alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=str(self.session_key), session_data=row[0])
