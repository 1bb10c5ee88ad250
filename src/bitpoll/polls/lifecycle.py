"""A poll's life after it is created: decision, invitations, watches, deadline, expiry.

State changes here are service functions, each in one transaction with the mails it causes
(see notify.py). `run_chores()` is what `bitpoll send-mail` runs every minute; `expired()` and
`purge()` are `bitpoll purge`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

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
    new = 0
    for address in addresses:
        if address.lower() in known:
            continue
        known.add(address.lower())
        invitation = Invitation.objects.create(poll=poll, email=address)
        notify.set_personal_token(invitation)
        notify.invitation(invitation)
        new += 1
    return new


def reminder_due(invitation: Invitation) -> bool:
    return invitation.entry_id is None and invitation.reminder_count < settings.MAIL_MAX_REMINDERS


@transaction.atomic
def remind(poll: Poll) -> int:
    """Remind the e-mail invitees who have not answered, within the per-invitee limit."""
    now = timezone.now()
    count = 0
    for invitation in poll.invitations.select_for_update().exclude(email=""):
        if not reminder_due(invitation):
            continue
        notify.invitation(invitation, reminder=True)
        invitation.reminded = now
        invitation.reminder_count += 1
        invitation.save(update_fields=["reminded", "reminder_count"])
        count += 1
    return count


def get_invitation(poll: Poll, pk: int, token: str) -> Invitation | None:
    invitation = poll.invitations.filter(pk=pk).exclude(token_hash="").first()
    if invitation is None or not tokens.check_token(token, invitation.token_hash):
        return None
    return invitation


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
        poll.invitations.filter(pk__in=ids, entry__isnull=True).update(entry=entry)


# --- Watches ---


@transaction.atomic
def watch(poll: Poll, address: str) -> Watch:
    found = poll.watches.filter(email__iexact=address).first()
    if found is not None:
        return found
    row = Watch.objects.create(poll=poll, email=address)
    notify.set_personal_token(row)
    return row


def get_watch(poll: Poll, pk: int, token: str) -> Watch | None:
    row = poll.watches.filter(pk=pk).exclude(token_hash="").first()
    if row is None or not tokens.check_token(token, row.token_hash):
        return None
    return row


def send_news(now: dt.datetime | None = None) -> int:
    """One mail per watcher with news (answers, comments) since their last one, at most one
    per BITPOLL_MAIL_WATCH_INTERVAL minutes."""
    now = now or timezone.now()
    quiet = now - dt.timedelta(minutes=settings.MAIL_WATCH_INTERVAL_MINUTES)
    count = 0
    due = Watch.objects.exclude(email="").filter(Q(notified__isnull=True) | Q(notified__lte=quiet))
    for row in due.select_related("poll").iterator():
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
            seen: set[str] = set()
            for invitation in poll.invitations.exclude(email="").filter(entry__isnull=True):
                seen.add(invitation.email.lower())
                notify.deadline_reminder(
                    poll, invitation.email, notify.invitation_url(invitation), None
                )
                count += 1
            for row in poll.watches.exclude(email=""):
                if row.email.lower() not in seen:
                    notify.deadline_reminder(
                        poll, row.email, notify.outbox.absolute(poll.get_absolute_url()), row
                    )
                    count += 1
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
