"""Who may do what: every view fetches its objects through these helpers.

Anyone with the public link may read the poll and answer it. The admin link's secret unlocks
everything; an entry's secret (edit link or cookie) unlocks that entry and the comments tied
to it. A wrong or missing secret is indistinguishable from a missing object: 404.

With accounts (BITPOLL_ACCOUNTS_ENABLED), the poll's owner, the members of the group that owns
it and the site's superusers manage it without the secret: their admin pages are under
/<slug>/admin/account/ (ACCOUNT_TOKEN stands where the secret goes, and never matches a secret).
An answer made while logged in is edited by its account at /<slug>/entry/<id>/account/. Who
may answer is `may_answer()`: everyone with the link, people logged in, or invited people
(named by an Invitation, in a group it names, or holding its personal link in the session).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from bitpoll.core import prepared
from bitpoll.polls import tokens
from bitpoll.polls.models import AnswerAccess, Comment, Entry, Invitation, Poll

ENTRY_COOKIE = "bitpoll_entry"
COMMENT_COOKIE = "bitpoll_comment"
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def get_poll(slug: str) -> Poll:
    """The poll (every field) or a 404; with a statement written once (prepared.select)."""
    found = prepared.select(Poll, slug=slug)
    if not found:
        raise Http404
    poll = found[0]
    poll._rendered_description = poll.description  # as Poll.from_db sets it
    return poll


ACCOUNT_TOKEN = "account"  # noqa: S105  (a path marker, not a secret)
# Invitations whose personal links this session followed (written by the mail app's links).
SESSION_INVITATIONS = "bitpoll.invitations"


def get_poll_for_admin(slug: str, token: str, request: HttpRequest | None = None) -> Poll:
    poll = get_poll(slug)
    if token == ACCOUNT_TOKEN and request is not None and manages(request.user, poll):
        return poll
    if not tokens.check_token(token, poll.admin_token_hash):
        raise Http404
    return poll


def get_entry_for_holder(
    poll: Poll, entry_id: int, token: str, request: HttpRequest | None = None
) -> Entry:
    entry = get_object_or_404(poll.entries, pk=entry_id)
    if token == ACCOUNT_TOKEN:
        if request is None or not owns_by_account(request, entry):
            raise Http404
        return entry
    if poll.edit_requires_account and settings.ACCOUNTS_ENABLED:
        # Edit links no longer work; the answer's account does.
        raise Http404
    if not tokens.check_token(token, entry.edit_token_hash):
        raise Http404
    return entry


def owns_by_account(request: HttpRequest, entry: Entry) -> bool:
    user = request.user
    return bool(
        settings.ACCOUNTS_ENABLED
        and entry.user_id is not None
        and user.is_authenticated
        and entry.user_id == user.pk
    )


def manages(user: Any, poll: Poll) -> bool:
    """Whether a logged-in user manages the poll: owner, member of its group, superuser."""
    if not settings.ACCOUNTS_ENABLED or user is None or not user.is_authenticated:
        return False
    if user.is_superuser or (poll.owner_id is not None and poll.owner_id == user.pk):
        return True
    if poll.owner_group_id is None:
        return False
    from bitpoll.accounts.models import Membership

    return Membership.objects.filter(group_id=poll.owner_group_id, user_id=user.pk).exists()


def is_invited(request: HttpRequest, poll: Poll) -> bool:
    """Named by an invitation, in a group one names, or holding an invitation's personal link."""
    found = Q()
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        raw = request.session.get(SESSION_INVITATIONS, [])
        ids = [i for i in raw if isinstance(i, int)] if isinstance(raw, list) else []
        if ids:
            found |= Q(pk__in=ids)
    user = request.user
    if settings.ACCOUNTS_ENABLED and user.is_authenticated:
        found |= Q(user_id=user.pk) | Q(group__memberships__user_id=user.pk)
    if not found:
        return False
    return Invitation.objects.filter(Q(poll_id=poll.pk) & found).exists()


def may_answer(request: HttpRequest, poll: Poll, *, manager: bool | None = None) -> bool:
    """Whether this visitor may answer (and comment on) the poll.

    Restrictions hold whether accounts are on or off: a poll limited to invited people does
    not open to everyone because the operator switched accounts off. `manager`: whether the
    visitor manages the poll, when the caller has found out already (else asked here)."""
    if poll.answer_access == AnswerAccess.ANYONE:
        return True
    if manages(request.user, poll) if manager is None else manager:
        return True
    if poll.answer_access == AnswerAccess.ACCOUNTS:
        return bool(settings.ACCOUNTS_ENABLED and request.user.is_authenticated)
    return is_invited(request, poll)


def logged_in(request: HttpRequest) -> bool:
    """Whether the visitor is logged in; free for visitors without a session cookie, so the
    anonymous poll page costs no query for it."""
    if not settings.ACCOUNTS_ENABLED or not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return False
    return bool(request.user.is_authenticated)


class Viewer(NamedTuple):
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


def edit_url_shown(poll: Poll, edit_url: str) -> str:
    """The edit link to show its holder; none where edit links no longer work."""
    return "" if poll.edit_requires_account and settings.ACCOUNTS_ENABLED else edit_url
