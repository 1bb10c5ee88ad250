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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from bitpoll.mail.models import Message

Attachment = tuple[str, str, str]  # file name, text content, MIME type


def enabled() -> bool:
    """Whether this server sends mail at all (BITPOLL_EMAIL_URL is set)."""
    return bool(getattr(settings, "MAIL_ENABLED", False))


def absolute(path: str) -> str:
    """A site path as the absolute link a mail needs (BITPOLL_BASE_URL + path)."""
    return settings.BASE_URL.rstrip("/") + path


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


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
    shared: dict[tuple[str, str], tuple[str, str, str]] | None = None,
    save: bool = True,
) -> Message | None:
    """Render `template` in `language` for `to` and store it in the outbox; see the module.

    `shared`: a dict kept by a caller that sends the same mail to many people, whose context
    does not depend on the recipient (a decision): each language is rendered once. With
    `save=False` the row is returned unsaved, for store() to save many at once."""
    if not enabled() or not to:
        return None
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    key = (template, language)
    if shared is not None and key in shared:
        subject, text, html = shared[key]
    else:
        ctx = {"base_url": settings.BASE_URL.rstrip("/"), **context}
        with translation.override(language):
            if subject is None:
                subject = render_to_string(f"mail/{template}.subject.txt", ctx)
            text = render_to_string(f"mail/{template}.txt", ctx)
            html = render_to_string(f"mail/{template}.html", ctx)
        subject = " ".join(subject.split())[:255]
        if shared is not None:
            shared[key] = (subject, text, html)
    row = Message(
        to=to,
        kind=template[:40],
        language=language,
        subject=subject,
        text=text.strip() + "\n",
        html=html,
        headers=dict(headers or {}),
        attachments=[list(a) for a in attachments],
        message_id=make_msgid(domain=_domain()),
        poll=poll,
    )
    if save:
        row.save()
    return row


def enqueue_text(to: str, kind: str, subject: str, text: str, *, language: str) -> Message | None:
    """Store a plain-text mail its caller has rendered already (the accounts app's mails).

    Like enqueue(): call it inside the event's transaction; None when no mail is configured."""
    if not enabled() or not to:
        return None
    return Message.objects.create(
        to=to,
        kind=kind[:40],
        language=language,
        subject=" ".join(subject.split())[:255],
        text=text.strip() + "\n",
        html="",
        headers={},
        attachments=[],
        message_id=make_msgid(domain=_domain()),
    )


def store(rows: Iterable[Message | None]) -> int:
    """Save the rows of enqueue(..., save=False) in a few statements; returns how many."""
    found = [row for row in rows if row is not None]
    Message.objects.bulk_create(found, batch_size=500)
    return len(found)
