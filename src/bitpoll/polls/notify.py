"""The mails a poll's life causes; each function is called inside the event's transaction.

Who gets what (docs/polls.md "Mail" lists the same):

- created: the creator's address, if given: the public and admin links.
- entry: a participant's address, if given: a copy of their edit link.
- decision / cancelled: every participant address, watcher and invitee (e-mail, user, the
  members of an invited group): the decision with an .ics (METHOD:REQUEST), or its withdrawal
  (METHOD:CANCEL).
- invitation / reminder: invitees (e-mail, user, the members of an invited group): their
  personal link.
- news: watchers (addresses and users), batched (lifecycle.py): new answers and comments,
  with an unsubscribe link.
- closed, retention: the creator's address: the deadline closed the poll; the poll will be
  deleted soon.
- recovery: an address that asked: one-time links that issue new admin links.

Mails to a poll's people go out in the poll's language (the creator's when they created it),
mails to one participant in that participant's language, mails to an account in the account's
language (its profile's, else the poll's), at the account's address; no address gets a mail twice.

Personal links in invitations and unsubscribe links must be the same in every mail (a reminder
repeats the invitation's link), but only their hash is stored: the raw secret is derived from
the server's secret key and the row (`personal_token`), and checked against the stored hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from bitpoll.mail import outbox
from bitpoll.polls import ics, tokens
from bitpoll.polls.models import Entry, Invitation, Option, Poll, Watch


def personal_token(row: Invitation | Watch) -> str:
    message = f"bitpoll:{type(row).__name__}:{row.pk}:{row.created.isoformat()}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def member_token(invitation: Invitation, user_id: int) -> str:
    """The personal link secret of one member of an invited group: `<user id>.<hmac>`."""
    message = f"bitpoll:member:{invitation.pk}:{user_id}:{invitation.created.isoformat()}"
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    return f"{user_id}." + base64.urlsafe_b64encode(digest).decode().rstrip("=")


# What account() reads of a user, for queries of many.
ACCOUNT_FIELDS = ("email", "is_active", "profile__language")
WATCH_FIELDS = ("created", "email", "poll_id", *(f"user__{f}" for f in ACCOUNT_FIELDS))
INVITATION_FIELDS = (
    "created",
    "email",
    "poll_id",
    "group_id",
    *(f"user__{f}" for f in ACCOUNT_FIELDS),
)


def account(user: Any, poll: Poll) -> tuple[str, str]:
    """(address, language) for mail to an account: empty address for inactive accounts."""
    if user is None or not user.is_active or not user.email:
        return "", poll.language
    profile = getattr(user, "profile", None)  # a missing profile raises an AttributeError
    return user.email, (profile.language if profile and profile.language else poll.language)


def group_members(invitation: Invitation) -> list[Any]:
    """The members of an invited group as it was invited: who joined later is not mailed."""
    if invitation.group_id is None:
        return []
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            bitpoll_memberships__group_id=invitation.group_id,
            bitpoll_memberships__created__lte=invitation.created,
            is_active=True,
        )
        .select_related("profile")
        .only(*ACCOUNT_FIELDS)
        .order_by("pk")
    )


def set_personal_token(row: Invitation | Watch) -> str:
    """Give a saved row its link secret; return it."""
    raw = personal_token(row)
    row.token_hash = tokens.hash_token(raw)
    row.save(update_fields=["token_hash"])
    return raw


def set_personal_tokens(rows: Sequence[Invitation]) -> None:
    """set_personal_token() for many saved invitations, in one statement (bulk_update would
    build a CASE of every row, slower than the rest of inviting 200 people together)."""
    if not rows:
        return
    for row in rows:
        row.token_hash = tokens.hash_token(personal_token(row))
    q = connection.ops.quote_name
    meta = Invitation._meta
    table, pk = q(meta.db_table), q(str(meta.get_field("id").column))
    column = q(str(meta.get_field("token_hash").column))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
            [(row.token_hash, row.pk) for row in rows],
        )


def invitation_links(poll: Poll) -> Callable[[Invitation, Any], str]:
    """invitation_url() for many invitations of `poll`, with one reverse() for all."""
    sample_id, sample_secret = 999, "secret"
    url = outbox.absolute(reverse("polls:invitation", args=[poll.slug, sample_id, sample_secret]))
    head, tail = url.rsplit(f"/{sample_id}/{sample_secret}", 1)

    def link(invitation: Invitation, member: Any = None) -> str:
        if member is None:
            secret = personal_token(invitation)
        else:
            secret = member_token(invitation, member.pk)
        return f"{head}/{invitation.pk}/{secret}{tail}"

    return link


def invitation_url(invitation: Invitation, member: Any = None) -> str:
    """The personal link; for a group invitation, that of one member (`member`)."""
    return invitation_links(invitation.poll)(invitation, member)


def unsubscribe_url(watch: Watch) -> str:
    return outbox.absolute(
        reverse("polls:unsubscribe", args=[watch.poll.slug, watch.pk, personal_token(watch)])
    )


def watch_address(watch: Watch) -> tuple[str, str]:
    """(address, language) a watch's mail goes to."""
    if watch.user_id is not None:
        return account(watch.user, watch.poll)
    return watch.email, watch.poll.language


def _unsubscribe_headers(watch: Watch) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(watch)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _public(poll: Poll) -> str:
    return outbox.absolute(poll.get_absolute_url())


def created(poll: Poll, token: str) -> None:
    if not poll.creator_email:
        return
    outbox.enqueue(
        poll.creator_email,
        "polls/created",
        {
            "poll": poll,
            "public_url": _public(poll),
            "admin_url": outbox.absolute(poll.admin_url(token)),
        },
        language=poll.language,
        poll=poll,
    )


def entry_saved(entry: Entry, token: str) -> None:
    if not entry.email:
        return
    poll = entry.poll
    edit = reverse("polls:entry", args=[poll.slug, entry.pk, token])
    outbox.enqueue(
        entry.email,
        "polls/entry",
        {
            "poll": poll,
            "entry": entry,
            "public_url": _public(poll),
            "edit_url": outbox.absolute(edit),
        },
        language=entry.language,
        poll=poll,
    )


def _decision_recipients(poll: Poll) -> list[tuple[str, str, Watch | None]]:
    """(address, language, watch) for everyone who hears of the decision, each address once."""
    seen: set[str] = set()
    found: list[tuple[str, str, Watch | None]] = []

    def add(address: str, language: str, watch: Watch | None = None) -> None:
        key = address.strip().lower()
        if key and key not in seen:
            seen.add(key)
            found.append((address, language, watch))

    # Only the columns needed: a decision may go to thousands.
    entries = poll.entries.exclude(email="").order_by("pk").values_list("email", "language")
    for email, language in entries:
        add(email, language)
    for watch in poll.watches.select_related("user__profile").only(*WATCH_FIELDS).order_by("pk"):
        watch.poll = poll
        add(*watch_address(watch), watch)
    invitations = poll.invitations.select_related("user__profile").only(*INVITATION_FIELDS)
    for invitation in invitations.order_by("pk"):
        if invitation.email:
            add(invitation.email, poll.language)
        elif invitation.user_id is not None:
            add(*account(invitation.user, poll))
        else:
            for member in group_members(invitation):
                add(*account(member, poll))
    return found


def _to_everyone(
    poll: Poll,
    template: str,
    context: dict[str, Any],
    attachments: list[outbox.Attachment],
    attendee: str,
) -> int:
    """The mail to everyone who hears of the decision, as one fan-out: each calendar is built
    once for the placeholder `attendee`, whose ATTENDEE line becomes each recipient's, folded
    as calendar() would have folded it."""
    marks = [ics.attendee_line(attendee)] if attachments else []
    recipients = [
        outbox.Recipient(
            address,
            language,
            _unsubscribe_headers(watch) if watch else None,
            [ics.attendee_line(address)] if marks else [],
        )
        for address, language, watch in _decision_recipients(poll)
    ]
    return outbox.enqueue_many(
        template, context, recipients, placeholders=marks, attachments=attachments, poll=poll
    )


def decision(poll: Poll, options: list[Option], stale: list[Option] | None = None) -> int:
    """Tell everyone of the decision (new or changed). `stale`: events of an earlier, longer
    decision past the new one's end, cancelled by a second calendar in the same mail."""
    public = _public(poll)
    attendee = outbox.placeholder()
    attachments: list[outbox.Attachment] = []
    if ics.dated(poll):
        attachments.append(
            (
                "invite.ics",
                ics.calendar(poll, options, "REQUEST", attendee=attendee, url=public),
                "text/calendar; method=REQUEST",
            )
        )
        if stale:
            attachments.append(
                (
                    "cancel.ics",
                    ics.calendar(
                        poll,
                        stale,
                        "CANCEL",
                        attendee=attendee,
                        cancel_from=len(options),
                        url=public,
                    ),
                    "text/calendar; method=CANCEL",
                )
            )
    context = {"poll": poll, "options": options, "public_url": public}
    return _to_everyone(poll, "polls/decision", context, attachments, attendee)


def cancelled(poll: Poll, options: list[Option]) -> int:
    """Tell everyone the decision is withdrawn; the .ics cancels the events."""
    public = _public(poll)
    attendee = outbox.placeholder()
    attachments: list[outbox.Attachment] = []
    if ics.dated(poll) and options:
        attachments.append(
            (
                "cancel.ics",
                ics.calendar(poll, options, "CANCEL", attendee=attendee, url=public),
                "text/calendar; method=CANCEL",
            )
        )
    context = {"poll": poll, "public_url": public}
    return _to_everyone(poll, "polls/cancelled", context, attachments, attendee)


def invitation(
    invitation: Invitation, reminder: bool = False, members: Iterable[Any] | None = None
) -> int:
    """Mail the personal link: to the address, to the invited user, or to each member of the
    invited group (`members`: only these; default all members when it was invited). Returns
    how many mails were queued."""
    return invitations([(invitation, members)], reminder)


def invitations(
    rows: Sequence[tuple[Invitation, Iterable[Any] | None]], reminder: bool = False
) -> int:
    """invitation() for several invitations of one poll (each with its `members`), as one
    mail to many: rendered once per language, each recipient's personal link filled in."""
    if not rows:
        return 0
    poll = rows[0][0].poll
    link = outbox.placeholder()
    url = invitation_links(poll)
    recipients = []
    for row, members in rows:
        if row.email:
            targets = [(row.email, poll.language, None)]
        elif row.user_id is not None:
            targets = [(*account(row.user, poll), None)]
        else:
            chosen = group_members(row) if members is None else members
            targets = [(*account(m, poll), m) for m in chosen]
        recipients += [
            outbox.Recipient(address, language, None, [url(row, member)])
            for address, language, member in targets
            if address
        ]
    outbox.enqueue_many(
        "polls/reminder" if reminder else "polls/invitation",
        {"poll": poll, "invitation_url": link},
        recipients,
        placeholders=[link],
        poll=poll,
    )
    return len(recipients)


def news(watch: Watch, entries: Iterable[Entry], comments: Iterable[object]) -> None:
    poll = watch.poll
    address, language = watch_address(watch)
    if not address:
        return
    outbox.enqueue(
        address,
        "polls/news",
        {
            "poll": poll,
            "entries": list(entries),
            "comments": list(comments),
            "public_url": _public(poll),
            "unsubscribe_url": unsubscribe_url(watch),
        },
        language=language,
        headers=_unsubscribe_headers(watch),
        poll=poll,
    )


def deadline_reminder(
    poll: Poll, address: str, link: str, watch: Watch | None, language: str | None = None
) -> None:
    outbox.enqueue(
        address,
        "polls/deadline",
        {"poll": poll, "link": link, "unsubscribe_url": unsubscribe_url(watch) if watch else ""},
        language=language or poll.language,
        headers=_unsubscribe_headers(watch) if watch else None,
        poll=poll,
    )


def closed(poll: Poll) -> None:
    if poll.creator_email:
        outbox.enqueue(
            poll.creator_email,
            "polls/closed",
            {"poll": poll, "public_url": _public(poll)},
            language=poll.language,
            poll=poll,
        )


def retention(poll: Poll, deleted_on: object) -> None:
    outbox.enqueue(
        poll.creator_email,
        "polls/retention",
        {"poll": poll, "public_url": _public(poll), "deleted_on": deleted_on},
        language=poll.language,
        poll=poll,
    )


def recovery(address: str, links: list[tuple[Poll, str]], language: str) -> None:
    outbox.enqueue(
        address,
        "polls/recovery",
        {"links": [(p, outbox.absolute(url)) for p, url in links]},
        language=language,
    )
