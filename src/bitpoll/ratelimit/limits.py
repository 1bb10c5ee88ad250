"""Rate limits kept in the database, so that every worker process and every node shares them.

Each limited request runs one statement: an upsert that adds one to a counter per limit it is
subject to (its client, and for some actions its poll or the user name) in the current fixed
window and returns the new counts. When a count passes its limit the request is refused with
`RateLimited`, which the middleware turns into the 429 page. Counters live for one window;
every PRUNE_EVERY-th hit of a process deletes the expired ones, through an index.

The statement runs in the caller's transaction when there is one (an answer is counted in the
transaction that stores it), else on its own in autocommit mode; on SQLite it then still
queues on the write lock of bitpoll.core.sqlite like every other write, instead of polling for
SQLite's lock, but without the round trips of BEGIN and COMMIT. On PostgreSQL an answer is
counted by the one statement that stores it (`bitpoll_answer()`, see bitpoll.polls.sql), from
`Admission.rows()`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from bitpoll.conf import Rate
from bitpoll.core import prepared
from bitpoll.ratelimit.models import Counter

PRUNE_EVERY = 500  # hits per process between two deletions of expired counters
IPV6_PREFIX = 64  # one subscriber usually gets a whole /64: count it as one client

# The clock, in whole seconds; the tests replace it to step into the next window.
clock: Callable[[], float] = time.time

_hits = 0
_hits_lock = threading.Lock()


class RateLimited(Exception):
    """A limit was reached: nothing was done; try again after `retry_after` seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limit {scope} reached; retry after {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


class _Row(NamedTuple):
    scope: str
    subject: str
    bucket: int
    rate: Rate


def client_id(request: HttpRequest) -> str:
    """The client's address, as the limits see it: IPv6 by its /64 network.

    REMOTE_ADDR is the real client's address; behind a reverse proxy that holds only when
    BITPOLL_BEHIND_PROXY is on, otherwise every visitor shares the proxy's limits.
    """
    return _client_id(str(request.META.get("REMOTE_ADDR") or ""))


@functools.lru_cache(maxsize=1024)
def _client_id(raw: str) -> str:
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


@functools.cache
def _hash_key() -> bytes:
    return hashlib.sha256(b"bitpoll.ratelimit:" + settings.SECRET_KEY.encode()).digest()


def _subject(scope: str, key: str) -> str:
    # Keyed, so that the table cannot be turned back into addresses by trying all of them.
    digest = hashlib.blake2b(f"{scope}\0{key}".encode(), digest_size=16, key=_hash_key())
    return digest.hexdigest()


def check(
    request: HttpRequest, scope: str, *, poll: int | None = None, user: str | None = None
) -> None:
    """Count one `scope` action of this client (and of this poll, or user name); raise
    RateLimited if any of the limits involved is exceeded."""
    admit = admission(request, scope, poll=poll, user=user)
    if admit is not None:
        admit()


def admission(
    request: HttpRequest, scope: str, *, poll: int | None = None, user: str | None = None
) -> Admission | None:
    """check() in two halves, for a caller that counts in its own write transaction: the
    counters' keys are worked out and hashed here, before the write lock is taken, and the
    Admission returned counts them (and raises RateLimited) when called, under it. None if
    no limit applies."""
    if not settings.RATELIMIT_ENABLED:
        return None
    keys = [(scope, client_id(request))]
    if poll is not None:
        keys.append((f"{scope}_per_poll", str(poll)))
    if user is not None:
        keys.append((f"{scope}_per_user", user))
    now = int(clock())
    rows = []
    for name, key in keys:
        rate: Rate | None = settings.RATELIMITS.get(name)
        if rate is not None:
            rows.append(_Row(name, _subject(name, key), now - now % rate.seconds, rate))
    if not rows:
        return None
    return Admission(rows, now)


class Admission:
    """The counters one request adds to (see admission()).

    Called, it adds one to each and raises RateLimited when one passes its limit. A caller
    that counts in a statement of its own (PostgreSQL's answer, bitpoll.polls.sql) reads the
    counters from `rows()` and hands the counts back to `judge()`, then calls `prune_if_due()`.
    """

    __slots__ = ("_now", "_rows")

    def __init__(self, rows: Sequence[_Row], now: int) -> None:
        self._rows = rows
        self._now = now

    def __call__(self) -> None:
        if connection.in_atomic_block:
            counts = _count(self._rows, self._now)
        else:
            # One statement needs no transaction of its own, only its turn at the write lock.
            lock = getattr(connection, "write_lock", None)
            with lock() if lock is not None else contextlib.nullcontext():
                counts = _count(self._rows, self._now)
        self.judge(counts)

    def rows(self) -> list[tuple[str, str, int, int, int]]:
        """Per counter: scope, subject, window start, expiry and the most hits allowed."""
        return [
            (row.scope, row.subject, row.bucket, row.bucket + row.rate.seconds, row.rate.count)
            for row in self._rows
        ]

    def judge(self, counts: Mapping[str, int]) -> None:
        """Raise RateLimited if a count (by scope) passes its limit."""
        retry_after = 0
        exceeded = ""
        for row in self._rows:
            if counts.get(row.scope, 0) > row.rate.count:
                wait = max(1, row.bucket + row.rate.seconds - self._now)
                if wait > retry_after:
                    retry_after, exceeded = wait, row.scope
        if exceeded:
            raise RateLimited(exceeded, retry_after)

    def prune_if_due(self) -> None:
        """Delete the expired counters if this process is due to (what counting does)."""
        if _due_for_pruning():
            with prepared.cursor() as cursor:
                cursor.execute(_statements()["prune"], [self._now])


@functools.cache
def _statements() -> dict[str, str]:
    q = connection.ops.quote_name
    meta = Counter._meta
    table = q(meta.db_table)
    scope, subject, bucket, expires, hits = (
        q(str(getattr(meta.get_field(n), "column", n)))
        for n in ("scope", "subject", "bucket", "expires", "hits")
    )
    # Identifiers come from the model; every value is a bound parameter.
    return {
        "upsert": (
            f"INSERT INTO {table} ({scope}, {subject}, {bucket}, {expires}, {hits}) "  # noqa: S608
            "VALUES {rows} "
            f"ON CONFLICT ({scope}, {subject}, {bucket}) "
            f"DO UPDATE SET {hits} = {table}.{hits} + 1"
        ),
        "returning": f" RETURNING {scope}, {hits}",
        "select": f"SELECT {scope}, {hits} FROM {table} WHERE {{where}}",  # noqa: S608
        "select_row": f"({subject} = %s AND {bucket} = %s)",
        "prune": f"DELETE FROM {table} WHERE {expires} < %s",  # noqa: S608
    }


def _count(rows: Sequence[_Row], now: int) -> dict[str, int]:
    """Add one to each row's counter; return the new counts by scope."""
    statements = _statements()
    sql = statements["upsert"].replace("{rows}", ", ".join(["(%s, %s, %s, %s, 1)"] * len(rows)))
    params: list[Any] = []
    for row in rows:
        params += [row.scope, row.subject, row.bucket, row.bucket + row.rate.seconds]
    with prepared.cursor() as cursor:
        if connection.features.can_return_rows_from_bulk_insert:
            cursor.execute(sql + statements["returning"], params)
            found = cursor.fetchall()
        else:  # SQLite before 3.35: a read in the same transaction
            cursor.execute(sql, params)
            where = " OR ".join([statements["select_row"]] * len(rows))
            cursor.execute(
                statements["select"].replace("{where}", where),
                [value for r in rows for value in (r.subject, r.bucket)],
            )
            found = cursor.fetchall()
        if _due_for_pruning():
            cursor.execute(statements["prune"], [now])
    return {str(scope): int(hits) for scope, hits in found}


def _due_for_pruning() -> bool:
    global _hits
    with _hits_lock:
        _hits += 1
        return _hits % PRUNE_EVERY == 1


def retry_text(seconds: int) -> tuple[int, str]:
    """The wait rounded up for people: (number, unit) with unit seconds, minutes or hours."""
    if seconds <= 90:
        return seconds, "seconds"
    if seconds <= 90 * 60:
        return math.ceil(seconds / 60), "minutes"
    return math.ceil(seconds / 3600), "hours"
