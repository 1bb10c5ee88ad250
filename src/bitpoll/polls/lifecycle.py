"""A poll's life after it is created: decision, invitations, watches, deadline, expiry.

State changes here are service functions, each in one transaction with the mails it causes
(see notify.py). `run_chores()` is what `bitpoll send-mail` runs every minute; `expired()` and
`purge()` are `bitpoll purge`.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from bitpoll.polls import notify, tokens
from bitpoll.polls.models import Comment, Entry, Invitation, Poll, Watch

RECOVERY_HOURS = 24
RETENTION_WARNING = dt.timedelta(days=7)
SENT_MAIL_DAYS = 30  # sent and failed outbox rows are kept this long, then purged


# --- Decision ---


@transaction.atomic
def finalize(poll: Poll, option_ids: Sequence[int], message: str = "", location: str = "") -> int:
    """Decide on the given options; tell everyone (again, if the decision changed).

    Returns the number of mails queued."""
    before = poll.final_options()
    poll.options.filter(is_final=True).update(is_final=False)
    poll.options.filter(pk__in=option_ids, is_deleted=False).update(is_final=True)
    options = poll.final_options()
    poll.decided = timezone.now()
    poll.decision_message = message
    poll.decision_location = location
    poll.ics_sequence += 1
    poll.is_closed = True
    poll.save(
        update_fields=[
            "decided",
            "decision_message",
            "decision_location",
            "ics_sequence",
            "is_closed",
        ]
    )
    poll.touch()
    stale = before[len(options) :]
    return notify.decision(poll, options, stale)


@transaction.atomic
def unfinalize(poll: Poll) -> int:
    """Withdraw the decision: calendars get CANCEL; the poll stays closed until reopened."""
    options = poll.final_options()
    poll.options.filter(is_final=True).update(is_final=False)
    poll.decided = None
    poll.ics_sequence += 1
    poll.save(update_fields=["decided", "ics_sequence"])
    poll.touch()
    return notify.cancelled(poll, options)


# --- Invitations ---


@transaction.atomic
def invite(poll: Poll, addresses: Iterable[str]) -> int:
    """Invite e-mail addresses (each once per poll); returns how many were new."""
    known = {e.lower() for e in poll.invitations.exclude(email="").values_list("email", flat=True)}
    fresh = []
    for address in addresses:
        if address.lower() not in known:
            known.add(address.lower())
            fresh.append(Invitation(poll=poll, email=address))
    # The link secrets derive from the rows' ids, so the ids come back first.
    created = Invitation.objects.bulk_create(fresh)
    notify.set_personal_tokens(created)
    notify.invitations([(invitation, None) for invitation in created])
    return len(created)


@transaction.atomic
def invite_account(poll: Poll, user: Any = None, group: Any = None) -> Invitation:
    """Invite a user or a group (IntegrityError if invited already) and mail the personal
    link to the user, or to each member the group has now."""
    invitation = Invitation.objects.create(poll=poll, user=user, group=group)
    notify.set_personal_token(invitation)  # the user's link; members' links derive their own
    notify.invitation(invitation)
    return invitation


def answered_users(poll: Poll) -> set[int]:
    """The ids of the users with an answer of their account to the poll."""
    return set(poll.entries.exclude(user=None).values_list("user_id", flat=True))


def unanswered_members(invitation: Invitation, answered: set[int] | None = None) -> list[Any]:
    """The members of an invited group (as it was invited) without an answer of their own."""
    if answered is None:
        answered = answered_users(invitation.poll)
    return [m for m in notify.group_members(invitation) if m.pk not in answered]


def reminder_due(invitation: Invitation, answered: set[int] | None = None) -> bool:
    """Whether "remind" would mail this invitee: not answered (an invited user counts as
    answered by an entry of theirs), fewer reminders than allowed."""
    if invitation.reminder_count >= settings.MAIL_MAX_REMINDERS or invitation.entry_id:
        return False
    if invitation.email:
        return True
    if answered is None:
        answered = answered_users(invitation.poll)
    if invitation.user_id is not None:
        return invitation.user_id not in answered and bool(
            notify.account(invitation.user, invitation.poll)[0]
        )
    return bool(unanswered_members(invitation, answered))


@transaction.atomic
def remind(poll: Poll) -> int:
    """Remind the invitees who have not answered, within the per-invitee limit (for a
    group, per invitation: each reminder goes to the members who have not answered).
    Returns the number of mails."""
    now = timezone.now()
    answered = answered_users(poll)
    due = []
    for invitation in poll.invitations.select_for_update().order_by("pk"):
        invitation.poll = poll
        if not reminder_due(invitation, answered):
            continue
        members = unanswered_members(invitation, answered) if invitation.group_id else None
        due.append((invitation, members))
        invitation.reminded = now
        invitation.reminder_count += 1
    Invitation.objects.bulk_update([i for i, _m in due], ["reminded", "reminder_count"])
    return notify.invitations(due, reminder=True)


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of a secret from a URL (any characters) with the expected one."""
    return hmac.compare_digest(given.encode(), expected.encode())


def get_invitation(poll: Poll, pk: int, token: str) -> Invitation | None:
    """The invitation whose personal link this is: an address's or a user's (secret checked
    against the stored hash, or derived for a user's without one), or a group member's
    (`<user id>.<secret>`, derived)."""
    invitation = poll.invitations.filter(pk=pk).first()
    if invitation is None:
        return None
    if invitation.group_id is not None:
        member, _, _rest = token.partition(".")
        if (
            not member.isascii()
            or not member.isdigit()
            or not _same(token, notify.member_token(invitation, int(member)))
        ):
            return None
        return invitation
    if invitation.token_hash:
        return invitation if tokens.check_token(token, invitation.token_hash) else None
    if invitation.user_id is not None:
        return invitation if _same(token, notify.personal_token(invitation)) else None
    return None


def after_answer(poll: Poll, entry: Entry, token: str, invited: Iterable[object]) -> None:
    """An answer was stored: send its edit link to its address, mark its invitation."""
    if entry.email:
        entry.poll = poll
        notify.entry_saved(entry, token)
    record_answer(poll, invited, entry)


def record_answer(poll: Poll, invitation_ids: Iterable[object], entry: Entry) -> None:
    """Mark the invitations this browser came through as answered by `entry`."""
    ids = [i for i in invitation_ids if isinstance(i, int)]
    if ids:
        # A group's invitation is answered member by member (by their accounts), not by one entry.
        poll.invitations.filter(pk__in=ids, entry__isnull=True, group__isnull=True).update(
            entry=entry
        )


# --- Watches ---


@transaction.atomic
def watch(poll: Poll, address: str) -> Watch:
    found = poll.watches.filter(email__iexact=address).first()
    if found is not None:
        return found
    row = Watch.objects.create(poll=poll, email=address)
    notify.set_personal_token(row)
    return row


@transaction.atomic
def watch_user(poll: Poll, user: Any) -> Watch:
    """A logged-in user watches the poll (once)."""
    row, made = Watch.objects.get_or_create(poll=poll, user=user)
    if made or not row.token_hash:
        notify.set_personal_token(row)
    return row


def unwatch_user(poll: Poll, user: Any) -> int:
    deleted, _ = poll.watches.filter(user=user).delete()
    return deleted


def get_watch(poll: Poll, pk: int, token: str) -> Watch | None:
    row = poll.watches.filter(pk=pk).first()
    if row is None:
        return None
    if row.token_hash:
        return row if tokens.check_token(token, row.token_hash) else None
    # A user's watch made without a stored hash (e.g. "watch my polls by default"): the
    # secret is derived all the same.
    return row if _same(token, notify.personal_token(row)) else None


def _duplicate_watch(row: Watch) -> bool:
    """A user's watch whose address also watches the poll as an address: that one mails."""
    address, _ = notify.watch_address(row)
    if not address:
        return True
    return bool(row.user_id) and row.poll.watches.filter(email__iexact=address).exists()


def send_news(now: dt.datetime | None = None) -> int:
    """One mail per watcher with news (answers, comments) since their last one, at most one
    per BITPOLL_MAIL_WATCH_INTERVAL minutes."""
    now = now or timezone.now()
    quiet = now - dt.timedelta(minutes=settings.MAIL_WATCH_INTERVAL_MINUTES)
    count = 0
    due = Watch.objects.filter(Q(notified__isnull=True) | Q(notified__lte=quiet))
    for row in due.select_related("poll", "user__profile").iterator():
        if _duplicate_watch(row):
            continue
        since = row.notified or row.created
        with transaction.atomic():
            entries = list(Entry.objects.filter(poll=row.poll, updated__gt=since).order_by("pk"))
            comments = list(Comment.objects.filter(poll=row.poll, created__gt=since).order_by("pk"))
            if not entries and not comments:
                continue
            notify.news(row, entries, comments)
            Watch.objects.filter(pk=row.pk).update(notified=now)
            count += 1
    return count


# --- Deadline ---


def send_deadline_reminders(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    polls = Poll.objects.filter(
        remind_hours__isnull=False,
        deadline__gt=now,
        deadline_reminded__isnull=True,
        is_closed=False,
    )
    for poll in polls.iterator():
        assert poll.remind_hours is not None and poll.deadline is not None
        if now < poll.deadline - dt.timedelta(hours=poll.remind_hours):
            continue
        with transaction.atomic():
            if not Poll.objects.filter(pk=poll.pk, deadline_reminded__isnull=True).update(
                deadline_reminded=now
            ):
                continue  # another sender got there first
            count += _deadline_mails(poll)
    return count


def _deadline_mails(poll: Poll) -> int:
    """Invitees who have not answered get their personal link, watchers the poll's; each
    address once."""
    seen: set[str] = set()
    count = 0

    def send(address: str, language: str, link: str, row: Watch | None) -> None:
        nonlocal count
        if address and address.lower() not in seen:
            seen.add(address.lower())
            notify.deadline_reminder(poll, address, link, row, language)
            count += 1

    answered = answered_users(poll)
    for invitation in poll.invitations.filter(entry__isnull=True).select_related("user__profile"):
        invitation.poll = poll
        if invitation.email:
            send(invitation.email, poll.language, notify.invitation_url(invitation), None)
        elif invitation.user_id is not None:
            if invitation.user_id not in answered:
                address, language = notify.account(invitation.user, poll)
                send(address, language, notify.invitation_url(invitation), None)
        else:
            for member in unanswered_members(invitation, answered):
                address, language = notify.account(member, poll)
                send(address, language, notify.invitation_url(invitation, member), None)
    public = notify.outbox.absolute(poll.get_absolute_url())
    for row in poll.watches.select_related("user__profile").order_by("pk"):
        row.poll = poll
        send(*notify.watch_address(row), public, row)
    return count


def close_expired(now: dt.datetime | None = None) -> int:
    """Close the polls whose deadline has passed and tell their creators."""
    now = now or timezone.now()
    count = 0
    for poll in Poll.objects.filter(deadline__lte=now, is_closed=False, auto_closed__isnull=True):
        with transaction.atomic():
            if not Poll.objects.filter(pk=poll.pk, auto_closed__isnull=True).update(
                auto_closed=now
            ):
                continue
            poll.close()
            notify.closed(poll)
            count += 1
    return count


# --- Retention ---


def expiry(poll: Poll) -> dt.datetime | None:
    """When the poll is due for deletion under BITPOLL_POLL_RETENTION_DAYS (None: never)."""
    days = settings.POLL_RETENTION_DAYS
    if not days:
        return None
    last = max(
        filter(None, [poll.updated, poll.deadline, poll.decided, getattr(poll, "last_entry", None)])
    )
    return last + dt.timedelta(days=days)


def _candidates() -> Iterable[Poll]:
    return Poll.objects.annotate(last_entry=Max("entries__updated")).iterator()


def warn_expiring(now: dt.datetime | None = None) -> int:
    """A week before deletion, tell creators who left an address."""
    now = now or timezone.now()
    count = 0
    if not settings.POLL_RETENTION_DAYS:
        return 0
    for poll in _candidates():
        end = expiry(poll)
        if end is None or not poll.creator_email or poll.retention_warned is not None:
            continue
        if now >= end - RETENTION_WARNING:
            with transaction.atomic():
                Poll.objects.filter(pk=poll.pk).update(retention_warned=now)
                notify.retention(poll, max(end, now + RETENTION_WARNING))
                count += 1
    return count


def expired(now: dt.datetime | None = None) -> list[Poll]:
    """The polls `bitpoll purge` deletes now: past their expiry and, when the creator left an
    address, warned at least a week ago."""
    now = now or timezone.now()
    found = []
    for poll in _candidates():
        end = expiry(poll)
        if end is None or now < end:
            continue
        if poll.creator_email and (
            poll.retention_warned is None or now < poll.retention_warned + RETENTION_WARNING
        ):
            continue
        found.append(poll)
    return found


def purge(now: dt.datetime | None = None, dry_run: bool = False) -> tuple[list[Poll], int]:
    """Delete the expired polls (with their answers, addresses and mails) and old outbox rows."""
    from bitpoll.mail.models import Message
    from bitpoll.polls import services

    now = now or timezone.now()
    polls = expired(now)
    old = Message.objects.filter(
        status__in=[Message.Status.SENT, Message.Status.FAILED],
        created__lt=now - dt.timedelta(days=SENT_MAIL_DAYS),
    )
    if dry_run:
        return polls, old.count()
    for poll in polls:
        services.delete_poll(poll)
    mails, _ = old.delete()
    return polls, mails


# --- Recovery of admin links ---


@transaction.atomic
def request_recovery(address: str, language: str) -> int:
    """Mail one-time recovery links for the polls created with `address` (none: no mail)."""
    now = timezone.now()
    links = []
    for poll in Poll.objects.filter(creator_email__iexact=address).select_for_update():
        raw, hashed = tokens.new_token()
        poll.recovery_token_hash = hashed
        poll.recovery_expires = now + dt.timedelta(hours=RECOVERY_HOURS)
        poll.save(update_fields=["recovery_token_hash", "recovery_expires"])
        links.append((poll, reverse("polls:recover", args=[poll.slug, raw])))
    if links:
        notify.recovery(address, links, language)
    return len(links)


@transaction.atomic
def recover(poll: Poll, token: str) -> str | None:
    """Trade a valid recovery secret for a new admin secret (the old admin link stops)."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if (
        poll.recovery_expires is None
        or poll.recovery_expires < timezone.now()
        or not tokens.check_token(token, poll.recovery_token_hash)
    ):
        return None
    raw, hashed = tokens.new_token()
    poll.admin_token_hash = hashed
    poll.recovery_token_hash = ""
    poll.recovery_expires = None
    poll.save(update_fields=["admin_token_hash", "recovery_token_hash", "recovery_expires"])
    return raw


def run_chores(now: dt.datetime | None = None) -> dict[str, int]:
    """What `bitpoll send-mail` does besides sending: returns counts by chore."""
    now = now or timezone.now()
    return {
        "closed": close_expired(now),
        "deadline_reminders": send_deadline_reminders(now),
        "news": send_news(now),
        "retention_warnings": warn_expiring(now),
    }
