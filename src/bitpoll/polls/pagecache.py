"""Rendered poll pages, shared by every visitor, with each visitor's own parts put in.

Most visits to a poll come from people who follow the shared link: for all of them the page is
identical but for the CSRF token. It is rendered once per change of the poll and kept in a
small in-process LRU cache, keyed on what the page depends on:

- `poll.version`, which every write that changes the page bumps (answers, edits, deletions,
  comments, options, scale, settings), so invalidation needs no bookkeeping: an old version is
  simply never asked for again and ages out;
- whether the poll is open, because a deadline passes without any write;
- the language;
- for polls that show results only to those who answered: whether the visitor has.

The page is rendered for a stranger, with markers ("slots") where a visitor's own parts go:
the CSRF token, flash messages, the "you answered" box with the edit link, the answer form's
heading, the comment form's name, a delete button per comment, and each results row (so that
the visitor's own row can be marked). Each response fills the slots from the request: a visitor
who answered or commented costs one more small query, not a render. Nothing personal is ever
stored: the cache holds the stranger's page, and the slots are filled per response from the
visitor's own cookies. The query string is ignored (no poll page reads one), so it cannot be
used to force renders.

Compressed once: the static stretches between slots are deflated when the page is cached, each
ending on a full flush (byte-aligned, no reference back across it), so a response is the
cached compressed stretches with the slots' few bytes between them as stored (uncompressed)
deflate blocks, in a gzip frame whose CRC is combined from the stretches' precomputed ones.
The secrets in the slots are never compressed together with text an attacker controls.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from bitpoll.core import prepared
from bitpoll.core.csrf import get_token
from bitpoll.core.memory import release_memory
from bitpoll.core.middleware import accepts_gzip
from bitpoll.polls import access, sql, tokens
from bitpoll.polls.models import AnswerAccess, Entry, Poll, Watch, entry_path

V = TypeVar("V")

# Letters and digits only, so that no template filter escapes or alters it; random per
# process, so that no text a visitor types can pose as one.
SLOT_PREFIX = "bpslot" + secrets.token_hex(8)
CSRF_PLACEHOLDER = SLOT_PREFIX + "csrfx"
_SLOT = re.compile(rb"bpslot" + SLOT_PREFIX[6:].encode() + rb"([a-z]+)(\d*)x")
MAX_BYTES = 48 * 1024 * 1024  # per worker process
BIG_PAGE = 256 * 1024
DIRECT_CRC = 32 * 1024  # below this, _gzip runs the CRC over a stretch instead of combining
ROWS_PER_CHUNK = 32  # results rows compressed together; a visitor's own row redoes one chunk


def slot(kind: str, arg: object = "") -> str:
    return f"{SLOT_PREFIX}{kind}{arg}x"


def slot_context() -> dict[str, object]:
    """The template variables that make a page render with slots."""
    return {
        "csrf_token": CSRF_PLACEHOLDER,
        "slots": {
            "messages": slot("msg"),
            "you": slot("you"),
            "answer_title": slot("title"),
            "fold": slot("fold"),
            "author": slot("author"),
            "delete": SLOT_PREFIX + "del",  # followed by the comment's pk and "x"
            "account": slot("acct"),
        },
    }


class SharedUser:
    """Stands for "someone logged in" in a page shared by everyone logged in with the same
    access (see Variant): the template sees a logged-in user whose name is a slot, filled per
    response. It has nothing else of a user, so a template asking for more gets nothing."""

    is_authenticated = True
    is_anonymous = False

    def get_username(self) -> str:
        return slot("user")

    def __str__(self) -> str:
        return slot("user")


SHARED_USER = SharedUser()
ACCOUNT_NAME = slot("accname")  # the answer form's name field, for someone logged in


class Variant(NamedTuple):
    """What a shared page depends on beyond the poll and the language: whether the visitor is
    logged in and whether they may answer. Outcomes shared by many people, never anyone's
    identity: everything of one person goes in the slots."""

    logged_in: bool
    may_answer: bool


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


# CRC-32 arithmetic (the gzip trailer): the CRC of A+B from those of A and B and B's length,
# as zlib's crc32_combine computes it, which Python's zlib module does not expose.
_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC polynomial (bit-reflected)."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


_X2N = [1 << 30]  # x^(2^n) modulo the polynomial
for _power in range(31):
    _X2N.append(_multmodp(_X2N[-1], _X2N[-1]))


def _shift_factor(length: int) -> int:
    """x^(8 * length) modulo the polynomial: what appending `length` bytes does to a CRC."""
    p, k = 1 << 31, 3
    while length:
        if length & 1:
            p = _multmodp(_X2N[k & 31], p)
        length >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    return _multmodp(_shift_factor(length2), crc1) ^ crc2


@dataclass(frozen=True)
class Stretch:
    """A static stretch of a page: raw, deflated (ending on a full flush), and its CRC."""

    raw: bytes
    deflated: bytes
    crc: int

    @functools.cached_property
    def factor(self) -> int:
        """_shift_factor(len(raw)), for combining this stretch's CRC on its own: made when
        first needed (most stretches never are; the huge page's 73 took 4.5 ms)."""
        return _shift_factor(len(self.raw))

    @classmethod
    def of(cls, raw: bytes, level: int = 6) -> Stretch:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        deflated = compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH)
        return cls(raw, deflated, zlib.crc32(raw))


@dataclass
class Page:
    stretches: list[Stretch]
    slots: list[tuple[str, str] | None]  # between stretches; None: a chunk boundary only
    # entry id -> (stretch index, start, end of the name, end) of its results row
    rows: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    # comment pk -> hash of the secret that may delete it (never sent, compared per request)
    comment_hashes: dict[int, str] = field(default_factory=dict)
    size: int = 0
    # Runs of stretches with only chunk boundaries (None) between them, where no response
    # puts anything: (first, last + 1, CRC of the run, its shift factor, its length). The
    # gzip trailer's CRC takes one combination per run rather than one per stretch.
    blocks: list[tuple[int, int, int, int, int]] = field(default_factory=list)

    @property
    def raw_size(self) -> int:
        return sum(len(s.raw) for s in self.stretches)


def build_page(content: bytes, comment_hashes: dict[int, str] | None = None) -> Page:
    pieces = _SLOT.split(content)
    raws: list[bytearray] = [bytearray()]
    slots: list[tuple[str, str] | None] = []
    rows: dict[int, list[int]] = {}
    open_row: list[int] | None = None
    in_chunk = 0
    for i in range(0, len(pieces), 3):
        raws[-1] += pieces[i]
        if i + 1 >= len(pieces):
            break
        kind, arg = pieces[i + 1].decode(), pieces[i + 2].decode()
        if open_row is not None and kind in ("row", "rend"):
            open_row.append(len(raws[-1]))
            open_row = None
        if kind == "row":
            if in_chunk >= ROWS_PER_CHUNK:
                raws.append(bytearray())
                slots.append(None)
                in_chunk = 0
            in_chunk += 1
            open_row = rows[int(arg)] = [len(raws) - 1, len(raws[-1])]
        elif kind == "rend":
            raws.append(bytearray())
            slots.append(None)
            in_chunk = 0
        else:
            raws.append(bytearray())
            slots.append((kind, arg))
    # Big pages are rare and compressing them at level 6 took three times as long as at 4,
    # for a quarter less: 40 ms against 13 ms for a 1.6 MB page.
    level = 6 if sum(map(len, raws)) <= BIG_PAGE else 4
    stretches = [Stretch.of(bytes(raw), level) for raw in raws]
    page = Page(stretches, slots, comment_hashes=dict(comment_hashes or {}))
    start = 0
    for index in range(len(stretches)):
        if index < len(slots) and slots[index] is None:
            continue  # the run goes on
        run = stretches[start : index + 1]
        crc = 0
        for stretch in run:
            crc = zlib.crc32(stretch.raw, crc)
        length = sum(len(stretch.raw) for stretch in run)
        page.blocks.append((start, index + 1, crc, _shift_factor(length), length))
        start = index + 1
    for entry_id, (index, start, end) in rows.items():
        raw = stretches[index].raw
        name_end = raw.find(b"<td", start, end)
        page.rows[entry_id] = (index, start, end - 1 if name_end < 0 else name_end, end)
    page.size = sum(len(s.raw) + len(s.deflated) + 64 for s in stretches) + 64 * len(rows)
    return page


pages: LRUCache[tuple[int, Page]] = LRUCache(MAX_BYTES)  # (version, page)
_render_locks = tuple(threading.Lock() for _ in range(16))


class OwnEntry(NamedTuple):
    pk: int
    name: str
    edit_token_hash: str


@functools.cache
def _own_entry_statement() -> str:
    qn = connection.ops.quote_name
    meta = Entry._meta
    pk, name, hashed, poll = (
        qn(str(getattr(meta.get_field(f), "column", "")))
        for f in ("id", "name", "edit_token_hash", "poll")
    )
    table = qn(meta.db_table)
    return f"SELECT {pk}, {name}, {hashed} FROM {table} WHERE {pk} = %s AND {poll} = %s"  # noqa: S608


def get_own_entry(poll_id: int, entry_id: int) -> OwnEntry | None:
    """The answer a cookie names, if it belongs to this poll (the secret is checked after)."""
    with prepared.cursor() as cursor:
        cursor.execute(_own_entry_statement(), [entry_id, poll_id])
        row = cursor.fetchone()
    return None if row is None else OwnEntry(int(row[0]), str(row[1]), str(row[2]))


class AccountEntry(NamedTuple):
    """An answer made with the visitor's account (listed with its link for the account)."""

    pk: int
    name: str

    def __str__(self) -> str:
        return self.name or str(_("Anonymous"))


class AccountView(NamedTuple):
    """What a logged-in visitor's page shows of their account: read per request, never cached."""

    username: str
    display_name: str
    entries: tuple[AccountEntry, ...]
    manages: bool
    watching: bool | None  # None: watching by account is not offered (no mail)


@functools.cache
def _account_statement() -> str:
    """The account's answers to a poll (by Entry.user, indexed) and, in a first row, its
    display name and whether it watches the poll: one query for all of a member's parts."""
    from bitpoll.accounts.models import Profile

    qn = connection.ops.quote_name

    def column(model: type, name: str) -> str:
        return qn(str(getattr(model._meta.get_field(name), "column", "")))  # type: ignore[attr-defined]

    profiles, entries, watches = (qn(m._meta.db_table) for m in (Profile, Entry, Watch))
    return (
        f"SELECT 0, NULL, NULL, NULL, "  # noqa: S608
        f"(SELECT {column(Profile, 'display_name')} FROM {profiles} "
        f"WHERE {column(Profile, 'user')} = %s), "
        f"(SELECT COUNT(*) FROM {watches} "
        f"WHERE {column(Watch, 'poll')} = %s AND {column(Watch, 'user')} = %s) "
        f"UNION ALL SELECT 1, {column(Entry, 'id')}, {column(Entry, 'name')}, "
        f"{column(Entry, 'created')}, NULL, NULL FROM {entries} "
        f"WHERE {column(Entry, 'user')} = %s AND {column(Entry, 'poll')} = %s "
        f"ORDER BY 1, 4, 2"
    )


def get_account_view(request: HttpRequest, poll: Poll, manager: bool) -> AccountView:
    user = request.user
    with prepared.cursor() as cursor:
        cursor.execute(_account_statement(), [user.pk, poll.pk, user.pk, user.pk, poll.pk])
        rows = cursor.fetchall()
    display_name, watches = rows[0][4], rows[0][5]
    username = user.get_username()
    return AccountView(
        username=username,
        display_name=str(display_name or "") or username,
        entries=tuple(AccountEntry(int(r[1]), str(r[2])) for r in rows[1:]),
        manages=manager,
        watching=bool(watches) if settings.MAIL_ENABLED else None,
    )


def variant_of(request: HttpRequest, poll: Poll) -> tuple[Variant, AccountView | None]:
    """The visitor's variant of the shared page and, when logged in, their account's parts.

    Visitors without a session cookie cost no query here; a session costs Django's reading
    of it and of its user, and a logged-in visitor one more query (get_account_view), plus
    one for a poll owned by a group and one for a poll limited to invited people."""
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return Variant(False, poll.answer_access == AnswerAccess.ANYONE), None
    logged_in = access.logged_in(request)
    manager = logged_in and access.manages(request.user, poll)
    variant = Variant(logged_in, access.may_answer(request, poll, manager=manager))
    return variant, get_account_view(request, poll, manager) if logged_in else None


class Visitor(NamedTuple):
    """What one request adds to the shared page: all of it read from this request only."""

    csrf_token: str
    own: OwnEntry | None
    edit_url: str
    token_hashes: frozenset[str]
    account: AccountView | None = None


def serve(
    request: HttpRequest, slug: str, render: Callable[[dict[str, object]], HttpResponse]
) -> HttpResponseBase:
    """Answer from the cache, rendering once on a miss with `render(extra_context)`."""
    # The few columns that decide which page is current, in one hand-written query:
    # compiling the ORM's would cost more than everything else a cache hit does.
    current = sql.get_poll(slug)
    if current is None:
        raise Http404
    viewer = access.viewer(request)
    own = None
    if viewer.entry_id is not None and viewer.entry_token:
        found = get_own_entry(current.pk, viewer.entry_id)
        if found is not None and tokens.check_token(viewer.entry_token, found.edit_token_hash):
            own = found
    answered = own is not None and current.results_visibility == Poll.Visibility.AFTER_ANSWER
    variant, account = variant_of(request, current)
    # pk alone could repeat after a restore into a fresh database. The version is not part
    # of the key: each entry holds the newest page rendered, and any page at least as new as
    # the version just read will do (it shows everything that version does, and more).
    # The variant is an outcome many visitors share (logged in, may answer), never a person.
    lang = translation.get_language()
    key = (current.pk, slug, str(current.created), current.is_open, lang, answered, variant)
    cached = pages.get(key)
    rendered_big = False
    if cached is None or cached[0] < current.version:
        # One render per page at a time: when a link goes out, the first visitors arrive
        # together, and while they answer each answer makes a new version. Whoever waited
        # here is served by the render that finished meanwhile if it is new enough.
        with _render_locks[hash(key) % len(_render_locks)]:
            cached = pages.get(key)
            if cached is None or cached[0] < current.version:
                extra = {**slot_context(), "answered_variant": answered, "variant": variant}
                # In the default time zone, whoever's request renders it (a member's own
                # zone is active during their requests).
                with timezone.override(None):
                    rendered = render(extra)
                if rendered.status_code != 200:
                    return rendered
                built = build_page(rendered.content, extra.get("comment_hashes"))  # type: ignore[arg-type]
                cached = (int(extra.get("version", current.version)), built)  # type: ignore[call-overload]
                pages.set(key, cached, cost=built.size)
                del rendered
                rendered_big = built.raw_size > BIG_PAGE
    page = cached[1]
    visitor = Visitor(
        csrf_token=get_token(request),
        own=own,
        edit_url=(entry_path(slug, own.pk, viewer.entry_token) if own else ""),
        token_hashes=frozenset(viewer.hashes()),
        account=account,
    )
    pieces = _fill(request, current, page, visitor)
    response: HttpResponseBase
    if accepts_gzip(request):
        response = _respond(_gzip(page, pieces))
        response["Content-Encoding"] = "gzip"
    else:
        response = _respond(_plain(page, pieces))
    patch_vary_headers(response, ("Accept-Encoding", "Cookie"))
    if rendered_big:
        # After the response has gone out, not before: the visitor does not wait for it.
        response._resource_closers.append(release_memory)  # type: ignore[attr-defined]
    return response


def _respond(chunks: list[bytes]) -> HttpResponseBase:
    size = sum(map(len, chunks))
    if size <= BIG_PAGE:
        # In one piece, which the server writes with one system call: the huge poll's page
        # gzipped is about 120 KB in some 80 pieces, and each piece cost a write of its own.
        return HttpResponse(b"".join(chunks))
    # Big responses (a big page, uncompressed) go out piece by piece, straight from the
    # cache, without a per-request copy.
    response = StreamingHttpResponse(iter(chunks))
    response["Content-Length"] = str(size)
    return response


# What goes in the slots, per response. Each value is bytes; an own row replaces a stretch.
Filled = tuple[dict[int, bytes], dict[int, bytes]]  # (slot index -> bytes, stretch -> raw)


def _fill(request: HttpRequest, poll: Poll, page: Page, visitor: Visitor) -> Filled:
    values: dict[int, bytes] = {}
    token = visitor.csrf_token.encode()
    own = visitor.own
    for index, item in enumerate(page.slots):
        if item is None:
            continue
        kind, arg = item
        if kind == "csrf":
            values[index] = token
        elif kind == "msg":
            values[index] = _messages(request)
        elif kind == "you" and own is not None:
            values[index] = _you(request, own, access.edit_url_shown(poll, visitor.edit_url))
        elif kind == "title":
            values[index] = escape(_("Add another answer") if own else _("Your answer")).encode()
        elif kind == "fold" and own is not None:
            values[index] = b" folded"
        elif kind == "author" and own is not None:
            values[index] = escape(own.name).encode()
        elif kind == "acct" and visitor.account is not None:
            values[index] = _account_parts(poll, visitor)
        elif kind == "user" and visitor.account is not None:
            values[index] = escape(visitor.account.username).encode()
        elif kind == "accname" and visitor.account is not None:
            values[index] = escape(visitor.account.display_name).encode()
        elif kind == "del" and visitor.token_hashes:
            hashed = page.comment_hashes.get(int(arg)) if arg else None
            if hashed is not None and hashed in visitor.token_hashes:
                values[index] = render_to_string(
                    "polls/_comment_delete.html",
                    {"poll": poll, "comment_pk": int(arg), "csrf_token": visitor.csrf_token},
                ).encode()
    replaced: dict[int, bytes] = {}
    if own is not None and own.pk in page.rows:
        index, start, name_end, end = page.rows[own.pk]
        raw = page.stretches[index].raw
        mine = (
            f"<tr class=me><th scope=row>{escape(own.name or _('Anonymous'))} "
            f"<small>({escape(_('you'))})</small>"
        ).encode()
        replaced[index] = raw[:start] + mine + raw[name_end:end] + raw[end:]
    return values, replaced


# Alphanumeric and random per process, like the slots: no name or link can contain them.
_YOU_NAME = SLOT_PREFIX + "yname"
_YOU_LINK = SLOT_PREFIX + "ylink"


class _Site(NamedTuple):
    """What polls/_you.html reads of the request."""

    scheme: str
    host: str

    def get_host(self) -> str:
        return self.host


@functools.lru_cache(maxsize=256)
def _you_box(language: str | None, named: bool, linked: bool, scheme: str, host: str) -> str:
    """polls/_you.html rendered with markers for the name and the edit link, per language
    and the few other things it depends on: rendering it with the request for each response
    (context processors included) was an eighth of a participant's page."""
    own = OwnEntry(pk=0, name=_YOU_NAME if named else "", edit_token_hash="")
    context = {
        "own_entry": own,
        "edit_url": _YOU_LINK if linked else "",
        "request": _Site(scheme, host),
    }
    return render_to_string("polls/_you.html", context)


def _you(request: HttpRequest, own: OwnEntry, edit_url: str) -> bytes:
    box = _you_box(
        translation.get_language(),
        bool(own.name),
        bool(edit_url),
        request.scheme,
        request.get_host(),
    )
    # The link first: the name, which its holder chose, is put in last, as text.
    return box.replace(_YOU_LINK, escape(edit_url)).replace(_YOU_NAME, escape(own.name)).encode()


def _account_parts(poll: Poll, visitor: Visitor) -> bytes:
    """A member's manage button, watch form and answers made with the account."""
    account = visitor.account
    assert account is not None
    if not (account.manages or account.entries or account.watching is not None):
        return b""
    box = _account_box(
        translation.get_language(),
        get_script_prefix(),
        poll.slug,
        poll.admin_url(access.ACCOUNT_TOKEN) if account.manages else "",
        account.watching,
        account.entries,
    )
    return box.replace(CSRF_PLACEHOLDER, visitor.csrf_token).encode()


class _PollSlug(NamedTuple):
    slug: str


@functools.lru_cache(maxsize=1024)
def _account_box(
    language: str | None,
    prefix: str,
    slug: str,
    manage_url: str,
    watching: bool | None,
    entries: tuple[AccountEntry, ...],
) -> str:
    """polls/_account.html, kept per everything it shows but the CSRF token (a placeholder
    here): rendering it for each of a member's responses was a sixth of the response."""
    context = {
        "poll": _PollSlug(slug),
        "manage_url": manage_url,
        "watching": watching,
        "account_entries": entries,
        "csrf_token": CSRF_PLACEHOLDER,
    }
    return render_to_string("polls/_account.html", context)


def _messages(request: HttpRequest) -> bytes:
    storage = messages.get_messages(request)
    # Counting reads the cookie without marking the messages shown, so that a response
    # without any also skips storing them again.
    if not len(storage):
        return b""
    listed = list(storage)
    if not listed:
        return b""
    return render_to_string("_messages.html", {"messages": listed}).encode()


def _plain(page: Page, filled: Filled) -> list[bytes]:
    values, replaced = filled
    out: list[bytes] = []
    for index, stretch in enumerate(page.stretches):
        out.append(replaced.get(index, stretch.raw))
        if index < len(page.slots):
            value = values.get(index)
            if value:
                out.append(value)
    return out


# A gzip member: magic, deflate, no flags, no time, no extra flags, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_BLOCK = b"\x03\x00"  # an empty final block with fixed codes


def _stored(data: bytes) -> bytes:
    """Data as stored (uncompressed) deflate blocks; the stream is byte-aligned here."""
    out = bytearray()
    for start in range(0, len(data), 0xFFFF):
        piece = data[start : start + 0xFFFF]
        n = len(piece)
        out += bytes((0, n & 0xFF, n >> 8, ~n & 0xFF, (~n >> 8) & 0xFF)) + piece
    return bytes(out)


def _gzip(page: Page, filled: Filled) -> list[bytes]:
    values, replaced = filled
    out = [_GZIP_HEADER]
    crc = 0
    length = 0
    stretches = page.stretches
    for start, end, block_crc, factor, block_length in page.blocks:
        if not any(start <= index < end for index in replaced):
            out.extend([stretch.deflated for stretch in stretches[start:end]])
            if block_length < DIRECT_CRC:
                # Running the CRC over a short run is quicker than combining it (zlib hashes
                # a few bytes per nanosecond; a combination in Python takes about 10 µs).
                for stretch in stretches[start:end]:
                    crc = zlib.crc32(stretch.raw, crc)
            else:
                crc = _multmodp(factor, crc) ^ block_crc
            length += block_length
        else:  # the visitor's own row is in this run: its stretch is compressed afresh
            for index in range(start, end):
                own_row = replaced.get(index)
                stretch = stretches[index]
                if own_row is None:
                    out.append(stretch.deflated)
                    if len(stretch.raw) < DIRECT_CRC:
                        crc = zlib.crc32(stretch.raw, crc)
                    else:
                        crc = _multmodp(stretch.factor, crc) ^ stretch.crc
                    length += len(stretch.raw)
                else:
                    out.append(Stretch.of(own_row, level=1).deflated)
                    crc = zlib.crc32(own_row, crc)
                    length += len(own_row)
        # The slot after the run's last stretch (none after the page's last).
        value = values.get(end - 1)
        if value:
            out.append(_stored(value))
            crc = zlib.crc32(value, crc)
            length += len(value)
    out.append(_FINAL_BLOCK)
    out.append(crc.to_bytes(4, "little") + (length & 0xFFFFFFFF).to_bytes(4, "little"))
    return out


def warm_up() -> None:
    """Compile the poll page's templates and load the default language's translations and URL
    map, without the database (other languages: on their first request, see polls.warmup).

    Called by `bitpoll serve` in the master process before it forks the workers, which then
    share the result: otherwise the first visitor of each worker waits for it (tens of ms).
    """
    poll = Poll(slug="warm-up", title="", kind=Poll.Kind.TEXT, time_zone="UTC")
    context = {
        **slot_context(),
        "poll": poll,
        "show_results": True,
        "form": None,
        "comments": [],
        "comment_form": None,
        "rows_html": "",
        "row_count": 0,
        "answered": 0,
        "best_score": 0,
    }
    with translation.override(settings.LANGUAGE_CODE):
        render_to_string("polls/poll.html", context)
    # A logged-in member's parts (slot "acct"), rendered per response.
    render_to_string("polls/_account.html", {"poll": poll, "watching": None})
