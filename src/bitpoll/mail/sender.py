"""Deliver the outbox: claim due rows, send them over SMTP, record the outcome.

Several senders may run at once (one per host, or a service and a manual run): a row is
claimed in a short transaction (SELECT ... FOR UPDATE SKIP LOCKED where the database has it;
SQLite runs one writer at a time anyway) that marks it `sending` with a lease, so each row
goes to one sender. The SMTP conversation happens outside any transaction; a sender killed
then leaves its rows `sending`, and they are taken over when their lease runs out (see
models.Message for what that means for duplicates).

Rate limits: at most BITPOLL_MAIL_RATE mails per window from all senders together, and at
most BITPOLL_MAIL_RATE_PER_RECIPIENT to one address; rows over a limit wait in the queue.
Temporary failures (connection refused, 4xx) are retried with back-off; permanent ones (5xx
for the recipient, an address the server refuses) fail at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from bitpoll.mail import outbox
from bitpoll.mail.models import Message

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed try: 1, 4, 16, 64 minutes, then at most 6 hours."""
    return min(dt.timedelta(minutes=4 ** max(0, attempts - 1)), dt.timedelta(hours=6))


@dataclass
class Report:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def _due(now: dt.datetime) -> Q:
    return Q(status=Message.Status.QUEUED, next_try__lte=now) | Q(
        status=Message.Status.SENDING, lease_until__lt=now
    )


def claim(limit: int, now: dt.datetime | None = None, lease: dt.timedelta = LEASE) -> list[Message]:
    """Take up to `limit` due mails for this sender, within the rate limits."""
    now = now or timezone.now()
    with transaction.atomic():
        budget = limit
        rate = settings.MAIL_RATE
        if rate is not None:
            window = now - dt.timedelta(seconds=rate.seconds)
            used = Message.objects.filter(
                Q(sent__gt=window) | Q(status=Message.Status.SENDING, lease_until__gte=now)
            ).count()
            budget = min(budget, rate.count - used)
        if budget <= 0:
            return []
        skip = connection.features.has_select_for_update_skip_locked
        rows = list(
            Message.objects.filter(_due(now))
            .order_by("next_try", "pk")
            .select_for_update(skip_locked=skip)[: budget * 2]
        )
        rows = _within_recipient_limit(rows, now)[:budget]
        for row in rows:
            if row.status == Message.Status.SENDING:
                row.maybe_duplicate = True  # its last sender may have sent it before dying
            row.status = Message.Status.SENDING
            row.lease_until = now + lease
            row.attempts += 1
        Message.objects.bulk_update(
            rows, ["status", "lease_until", "attempts", "maybe_duplicate"], batch_size=200
        )
    return rows


def _within_recipient_limit(rows: list[Message], now: dt.datetime) -> list[Message]:
    rate = settings.MAIL_RATE_PER_RECIPIENT
    if rate is None or not rows:
        return rows
    window = now - dt.timedelta(seconds=rate.seconds)
    recent = Counter(
        Message.objects.filter(to__in={r.to for r in rows}, sent__gt=window).values_list(
            "to", flat=True
        )
    )
    keep, wait = [], []
    for row in rows:
        if recent[row.to] < rate.count:
            recent[row.to] += 1
            keep.append(row)
        else:
            wait.append(row.pk)
    if wait:
        # Looked at again when the oldest mail of the window has left it, roughly.
        Message.objects.filter(pk__in=wait).update(
            next_try=now + dt.timedelta(seconds=rate.seconds) / 4
        )
    return keep


def _email(row: Message, conn: object) -> EmailMultiAlternatives:
    headers = {"Message-ID": row.message_id, "Auto-Submitted": "auto-generated", **row.headers}
    mail = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        headers=headers,
        connection=conn,  # type: ignore[arg-type]
    )
    if row.html:
        mail.attach_alternative(row.html, "text/html")
    for name, content, mimetype in row.attachments:
        mail.attach(name, content, mimetype)
    return mail


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected)
    return False


def _failed(row: Message, exc: BaseException, report: Report) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    report.errors.append(f"{row.pk} {row.to}: {error}")
    if _permanent(exc) or row.attempts >= MAX_ATTEMPTS:
        status, next_try = Message.Status.FAILED, row.next_try
        report.failed += 1
        log.warning("mail %s to %s failed for good: %s", row.pk, row.to, error)
    else:
        status, next_try = Message.Status.QUEUED, now + backoff(row.attempts)
        report.retry += 1
        log.info("mail %s to %s will be retried at %s: %s", row.pk, row.to, next_try, error)
    Message.objects.filter(pk=row.pk).update(
        status=status, next_try=next_try, lease_until=None, last_error=error
    )


def deliver(rows: Sequence[Message], report: Report) -> None:
    """Send claimed rows over one SMTP connection."""
    conn = get_connection(fail_silently=False)
    try:
        conn.open()
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failed(row, exc, report)
        return
    try:
        for index, row in enumerate(rows):
            try:
                _email(row, conn).send()
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                # The connection is gone: this row and the rest are retried later.
                for rest in rows[index:]:
                    _failed(rest, exc, report)
                return
            except (OSError, smtplib.SMTPException, UnicodeError) as exc:
                _failed(row, exc, report)
                continue
            Message.objects.filter(pk=row.pk).update(
                status=Message.Status.SENT, sent=timezone.now(), lease_until=None, last_error=""
            )
            report.sent += 1
    finally:
        try:
            conn.close()
        except (OSError, smtplib.SMTPException):
            pass


def run_once(batch: int = 50, lease: dt.timedelta = LEASE) -> Report:
    """Send every mail that is due now, batch by batch, within the rate limits (first
    writing out the mails to many that requests stored, outbox.expand)."""
    report = Report()
    outbox.expand()
    while True:
        rows = claim(batch, lease=lease)
        if not rows:
            return report
        deliver(rows, report)
        if report.retry and not report.sent:
            return report  # the server is down: do not spin through the whole queue


def status_counts() -> dict[str, int]:
    counts = dict.fromkeys(Message.Status.values, 0)
    for row in Message.objects.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
