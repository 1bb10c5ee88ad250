"""Put mails in the outbox. The only way anything in Bitpoll sends mail.

    from bitpoll.mail import outbox
    outbox.enqueue(
        "ann@example.org",            # recipient
        "polls/decision",             # templates mail/polls/decision.{subject.txt,txt,html}
        {"poll": poll, ...},          # template context (rendered now, not at sending time)
        language="de",                # the recipient's language (en when unknown)
        headers={"List-Unsubscribe": "<https://...>"},
        attachments=[("invite.ics", ics_text, "text/calendar; method=REQUEST")],
        poll=poll,                    # optional: the mail goes when the poll is deleted
    )

Call it inside the transaction of the event that causes the mail: the row is committed with
the event or not at all, and `bitpoll send-mail` delivers it later (see models.Message). A
subject may be given directly with `subject=` instead of the `.subject.txt` template. With no
mail configured (`enabled()` is false) nothing is stored and None is returned, so callers need
not check; views use `enabled()` to say in the page that no mail will come.

The same mail to many people (a decision, a group's invitations) goes through
`enqueue_many()`: rendered once per language, stored as one row however many people it is
for, and written out into one row per recipient by the sender (`expand()`), so that the
request that tells 1,000 people costs about what telling one does.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from email.utils import make_msgid
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from bitpoll.mail.models import Fanout, Message

Attachment = tuple[str, str, str]  # file name, text content, MIME type


def enabled() -> bool:
    """Whether this server sends mail at all (BITPOLL_EMAIL_URL is set)."""
    return bool(getattr(settings, "MAIL_ENABLED", False))


def absolute(path: str) -> str:
    """A site path as the absolute link a mail needs (BITPOLL_BASE_URL + path)."""
    return settings.BASE_URL.rstrip("/") + path


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def _row(
    to: str,
    kind: str,
    language: str,
    subject: str,
    text: str,
    html: str,
    *,
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[Sequence[str]] = (),
    poll: Any = None,
    **fields: Any,
) -> Message:
    """An unsaved outbox row: the one place that fills in a Message."""
    return Message(
        to=to,
        kind=kind[:40],
        language=language,
        subject=" ".join(subject.split())[:255],
        text=text.strip() + "\n",
        html=html,
        headers=dict(headers or {}),
        attachments=[list(a) for a in attachments],
        message_id=make_msgid(domain=_domain()),
        poll=poll,
        **fields,
    )


def _language(language: str) -> str:
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _render(
    template: str, context: Mapping[str, Any], language: str, subject: str | None = None
) -> tuple[str, str, str]:
    """(subject, text, html) of `template` in `language`."""
    ctx = {"base_url": settings.BASE_URL.rstrip("/"), **context}
    with translation.override(language):
        if subject is None:
            subject = render_to_string(f"mail/{template}.subject.txt", ctx)
        text = render_to_string(f"mail/{template}.txt", ctx)
        html = render_to_string(f"mail/{template}.html", ctx)
    return subject, text, html


def enqueue(
    to: str,
    template: str,
    context: Mapping[str, Any],
    *,
    language: str = "en",
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[Attachment] = (),
    subject: str | None = None,
    poll: Any = None,
) -> Message | None:
    """Render `template` in `language` for `to` and store it in the outbox; see the module.

    For the same mail to many people use enqueue_many()."""
    if not enabled() or not to:
        return None
    language = _language(language)
    subject, text, html = _render(template, context, language, subject)
    row = _row(
        to,
        template,
        language,
        subject,
        text,
        html,
        headers=headers,
        attachments=attachments,
        poll=poll,
    )
    row.save()
    return row


def enqueue_text(to: str, kind: str, subject: str, text: str, *, language: str) -> Message | None:
    """Store a plain-text mail its caller has rendered already (the accounts app's mails).

    Like enqueue(): call it inside the event's transaction; None when no mail is configured."""
    if not enabled() or not to:
        return None
    row = _row(to, kind, language, subject, text, "")
    row.save()
    return row


# --- One mail to many people ---

# A mail to at most this many people is written out as outbox rows in the request; one to
# more is stored as one Fanout row that the sender writes out (expand()).
INLINE_MAX = 20
# Recipients the sender writes out per transaction: short enough not to hold up the requests
# that queue behind it for SQLite's write lock.
EXPAND_CHUNK = 100


class Recipient(NamedTuple):
    to: str
    language: str
    headers: Mapping[str, str] | None = None
    values: Sequence[str] = ()  # what this recipient's mail has for each placeholder


def placeholder() -> str:
    """A marker for what differs per recipient in a mail to many (enqueue_many): put it in the
    context or an attachment, and give each recipient its value. Random, so that no text of a
    poll (its title, a message) can contain it; letters and digits only, so that neither HTML
    nor iCalendar escaping changes it."""
    return "bitpoll" + secrets.token_hex(12)


def enqueue_many(
    template: str,
    context: Mapping[str, Any],
    recipients: Iterable[Recipient],
    *,
    placeholders: Sequence[str] = (),
    attachments: Iterable[Attachment] = (),
    poll: Any = None,
) -> int:
    """Queue the same mail for each recipient (those without an address are skipped); returns
    how many. It is rendered once per language, then each recipient's `values` replace the
    `placeholders` in its subject, text, HTML (escaped there) and attachments.

    Like enqueue(), call it inside the event's transaction: the mail is stored with the event
    (as one Fanout row, for more than INLINE_MAX people, which the sender writes out before
    sending), so the request pays for one row however many people it tells."""
    if not enabled():
        return 0
    found: list[list[Any]] = [
        [r.to, _language(r.language), dict(r.headers or {}), list(r.values)]
        for r in recipients
        if r.to
    ]
    if not found:
        return 0
    for _to, _language_code, _headers, values in found:
        if len(values) != len(placeholders):
            raise ValueError("every recipient needs a value for each placeholder")
    fanout = Fanout(
        kind=template[:40],
        poll=poll,
        bodies={
            language: list(_render(template, context, language))
            for language in sorted({item[1] for item in found})
        },
        attachments=[list(a) for a in attachments],
        placeholders=list(placeholders),
        recipients=found,
    )
    if len(found) <= INLINE_MAX:
        Message.objects.bulk_create(_written_out(fanout, found), batch_size=500)
    else:
        fanout.save()
    return len(found)


def _fill(value: str, pairs: Sequence[tuple[str, str]]) -> str:
    for mark, replacement in pairs:
        value = value.replace(mark, replacement)
    return value


def _written_out(fanout: Fanout, recipients: Sequence[Sequence[Any]]) -> list[Message]:
    """The outbox rows of these recipients of `fanout`."""
    rows = []
    for to, language, headers, values in recipients:
        subject, text, html = fanout.bodies[language]
        attachments = fanout.attachments
        if fanout.placeholders:
            pairs = list(zip(fanout.placeholders, values, strict=True))
            subject, text = _fill(subject, pairs), _fill(text, pairs)
            html = _fill(html, [(mark, escape(value)) for mark, value in pairs])
            attachments = [
                [name, _fill(content, pairs), mime] for name, content, mime in attachments
            ]
        rows.append(
            _row(
                to,
                fanout.kind,
                language,
                subject,
                text,
                html,
                headers=headers,
                attachments=attachments,
                poll_id=fanout.poll_id,
                created=fanout.created,
            )
        )
    return rows


def expand(chunk: int = EXPAND_CHUNK, limit: int | None = None) -> int:
    """Write out the stored fan-outs as outbox rows, `chunk` recipients per transaction (at
    most `limit` transactions); returns how many rows were written. The sender calls it
    before it claims mail.

    The rows are built outside the transaction, which only inserts them and moves the
    fan-out's `done` on, if no other sender moved it meanwhile (else they are dropped and the
    next chunk is looked at): a sender killed anywhere leaves nothing written twice or lost,
    and the database's write lock is held for the inserts alone."""
    written = 0
    for _round in itertools.count() if limit is None else range(limit):
        fanout = Fanout.objects.order_by("pk").first()
        if fanout is None:
            break
        part = fanout.recipients[fanout.done : fanout.done + chunk]
        rows = _written_out(fanout, part)
        with transaction.atomic():
            if fanout.done + len(part) >= len(fanout.recipients):
                moved = Fanout.objects.filter(pk=fanout.pk, done=fanout.done).delete()[0]
            else:
                moved = Fanout.objects.filter(pk=fanout.pk, done=fanout.done).update(
                    done=fanout.done + len(part)
                )
            if moved:
                Message.objects.bulk_create(rows, batch_size=500)
                written += len(rows)
    return written


def pending() -> tuple[int, int]:
    """(fan-outs not written out yet, recipients they still hold): for `bitpoll mail-status`."""
    count = waiting = 0
    for total, done in Fanout.objects.values_list("recipients", "done"):
        count += 1
        waiting += len(total) - done
    return count, waiting
