"""Rendered poll pages, shared by every visitor who holds no secret for the poll.

Most visits to a poll come from people who follow the shared link and have not answered yet:
for all of them the page is identical but for the CSRF token. It is rendered once per change
of the poll and kept in a small in-process LRU cache, keyed on what the page depends on:

- `poll.version`, which every write that changes the page bumps (answers, edits, deletions,
  comments, options, scale, settings), so invalidation needs no bookkeeping: an old version is
  simply never asked for again and ages out;
- whether the poll is open, because a deadline passes without any write;
- the language.

The CSRF token is rendered as a placeholder and replaced per response, so each visitor still
gets a fresh, masked token and the CSRF cookie. Visitors with an answer or comment cookie for
this poll, pending flash messages, or a query string get a freshly rendered page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import translation

from bitpoll.core.memory import release_memory
from bitpoll.polls import sql
from bitpoll.polls.access import Viewer

V = TypeVar("V")

# Letters and digits only, so that no template filter escapes or alters it.
CSRF_PLACEHOLDER = "csrfplaceholder0b1f2e3d4c5a6978"
MAX_BYTES = 48 * 1024 * 1024  # per worker process
MESSAGES_COOKIE = "messages"
BIG_PAGE = 256 * 1024


class LRUCache(Generic[V]):
    """A thread-safe least-recently-used cache bounded by the total size of its values."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def set(self, key: Hashable, value: V, cost: int | None = None) -> None:
        """Store `value`; its size is `cost`, or its len() when no cost is given."""
        size = len(value) if cost is None else cost  # type: ignore[arg-type]
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._size -= evicted

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._size


pages: LRUCache[tuple[bytes, ...]] = LRUCache(MAX_BYTES)
_render_locks = tuple(threading.Lock() for _ in range(16))


def is_shared_view(request: HttpRequest, viewer: Viewer) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and viewer.entry_id is None
        and not viewer.comment_token
        and MESSAGES_COOKIE not in request.COOKIES
    )


def serve(
    request: HttpRequest, slug: str, render: Callable[[dict[str, object]], HttpResponse]
) -> HttpResponseBase:
    """Answer from the cache, rendering once on a miss with `render(extra_context)`."""
    # The few columns that decide which page is current, in one hand-written query:
    # compiling the ORM's would cost more than everything else a cache hit does.
    current = sql.get_poll(slug)
    if current is None:
        raise Http404
    # pk and version alone could repeat after a restore into a fresh database.
    lang = translation.get_language()
    key = (current.pk, slug, str(current.created), current.version, current.is_open, lang)
    parts = pages.get(key)
    if parts is None:
        # One render per page at a time: when a link goes out, the first visitors arrive
        # together, and each thread rendering the same big poll would multiply the work and
        # the memory peak.
        with _render_locks[hash(key) % len(_render_locks)]:
            parts = pages.get(key)
            if parts is None:
                response = render({"csrf_token": CSRF_PLACEHOLDER})
                if response.status_code != 200:
                    return response
                parts = tuple(response.content.split(CSRF_PLACEHOLDER.encode()))
                size = sum(map(len, parts))
                pages.set(key, parts, cost=size)
                if size > BIG_PAGE:
                    del response
                    release_memory()
    token = get_token(request).encode()
    size = sum(map(len, parts)) + len(token) * (len(parts) - 1)
    if size <= BIG_PAGE:
        return HttpResponse(token.join(parts))
    # Big pages go out piece by piece, straight from the cache, without a per-request copy.
    streamed = StreamingHttpResponse(_interleave(parts, token))
    streamed["Content-Length"] = str(size)
    return streamed


def _interleave(parts: tuple[bytes, ...], token: bytes) -> Iterator[bytes]:
    yield parts[0]
    for part in parts[1:]:
        yield token
        yield part
