"""Who may do what: every view fetches its objects through these helpers.

Anyone with the public link may read the poll and answer it. The admin link's secret unlocks
everything; an entry's secret (edit link or cookie) unlocks that entry and the comments tied
to it. A wrong or missing secret is indistinguishable from a missing object: 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from bitpoll.polls import tokens
from bitpoll.polls.models import Comment, Entry, Poll

ENTRY_COOKIE = "bitpoll_entry"
COMMENT_COOKIE = "bitpoll_comment"
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def get_poll(slug: str) -> Poll:
    return get_object_or_404(Poll, slug=slug)


def get_poll_for_admin(slug: str, token: str) -> Poll:
    poll = get_poll(slug)
    if not tokens.check_token(token, poll.admin_token_hash):
        raise Http404
    return poll


def get_entry_for_holder(poll: Poll, entry_id: int, token: str) -> Entry:
    entry = get_object_or_404(poll.entries, pk=entry_id)
    if not tokens.check_token(token, entry.edit_token_hash):
        raise Http404
    return entry


@dataclass(frozen=True)
class Viewer:
    """The secrets this browser holds for one poll, read from its cookies."""

    entry_id: int | None
    entry_token: str
    comment_token: str

    def hashes(self) -> set[str]:
        return {tokens.hash_token(t) for t in (self.entry_token, self.comment_token) if t}

    def owns_entry(self, entry: Entry) -> bool:
        return entry.pk == self.entry_id and tokens.check_token(
            self.entry_token, entry.edit_token_hash
        )

    def may_delete(self, comment: Comment) -> bool:
        return any(
            tokens.check_token(t, comment.edit_token_hash)
            for t in (self.entry_token, self.comment_token)
            if t
        )


def viewer(request: HttpRequest) -> Viewer:
    entry_id: int | None = None
    entry_token = ""
    raw = request.COOKIES.get(ENTRY_COOKIE, "")
    ident, _, secret = raw.partition(".")
    if ident.isascii() and ident.isdigit() and len(ident) < 19 and secret:
        entry_id, entry_token = int(ident), secret[: tokens.MAX_TOKEN_LENGTH + 1]
    comment_token = request.COOKIES.get(COMMENT_COOKIE, "")[: tokens.MAX_TOKEN_LENGTH + 1]
    return Viewer(entry_id, entry_token, comment_token)


def _set(response: HttpResponse, poll: Poll, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=COOKIE_AGE,
        path=f"/{poll.slug}/",
        httponly=True,
        samesite="Lax",
        secure=settings.HTTPS,
    )


def remember_entry(response: HttpResponse, poll: Poll, entry: Entry, token: str) -> None:
    _set(response, poll, ENTRY_COOKIE, f"{entry.pk}.{token}")


def forget_entry(response: HttpResponse, poll: Poll) -> None:
    response.delete_cookie(ENTRY_COOKIE, path=f"/{poll.slug}/", samesite="Lax")


def remember_comment_token(response: HttpResponse, poll: Poll, token: str) -> None:
    _set(response, poll, COMMENT_COOKIE, token)
