"""The outbox: every mail Bitpoll sends is first a row here.

A row is written in the transaction of the event that causes it (an answer, a decision), so a
mail exists exactly when its event happened. The sender (`bitpoll send-mail`, sender.py) claims
rows, sends them outside any request and records the outcome:

- queued: waiting for `next_try`;
- sending: claimed by a sender until `lease_until`; a sender killed mid-send leaves it so, and
  once the lease has run out another sender takes it over and sets `maybe_duplicate` (the
  first one may have handed it to the SMTP server before it died: at most two copies, both
  with the same Message-ID, and the operator can see which);
- sent: accepted by the SMTP server at `sent`;
- failed: refused for good (a permanent SMTP error, a bounce) or out of attempts; `last_error`
  says why. `bitpoll mail-status` and the Django admin list them.

The rows hold the rendered message (subject, text and HTML parts, headers, attachments), so
the sender needs neither the templates nor the objects the mail is about.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = models.EmailField(_("recipient"))
    kind = models.CharField(_("kind"), max_length=40)
    language = models.CharField(_("language"), max_length=10, default="en")
    subject = models.CharField(_("subject"), max_length=255)
    text = models.TextField(_("text part"))
    html = models.TextField(_("HTML part"), blank=True)
    # Extra headers ({"List-Unsubscribe": ...}) and attachments ([[name, content, mime type]]).
    headers = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    # The poll a mail is about: deleting the poll deletes its unsent and sent mails (and with
    # them the addresses they were for).
    poll = models.ForeignKey(
        "polls.Poll", on_delete=models.CASCADE, null=True, blank=True, related_name="mails"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    next_try = models.DateTimeField(_("next try"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent = models.DateTimeField(_("sent"), null=True, blank=True)
    maybe_duplicate = models.BooleanField(_("maybe sent twice"), default=False)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("mail")
        verbose_name_plural = _("mails")
        indexes = [
            models.Index(
                fields=["next_try"],
                condition=Q(status="queued"),
                name="mail_message_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="mail_message_leased",
            ),
            models.Index(fields=["sent"], name="mail_message_sent"),
            models.Index(fields=["to", "sent"], name="mail_message_to_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]),
                name="mail_message_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class Fanout(models.Model):
    """One mail to many people, as the request that causes it stores it: a single row.

    Deciding a poll with 1,000 people to tell must not write 1,000 outbox rows inside the
    request. The mail is rendered once per language, with placeholders where it differs per
    recipient (a personal link, the calendar's ATTENDEE line); the sender (outbox.expand)
    turns it into Message rows, a chunk of recipients per short transaction, before sending.
    `done` counts the recipients written out so far; the row goes when all are. Small
    fan-outs are written out in the request itself (outbox.INLINE_MAX).
    """

    kind = models.CharField(_("kind"), max_length=40)
    # Deleting the poll deletes what was not written out yet, like its mails.
    poll = models.ForeignKey(
        "polls.Poll",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mail_fanouts",
    )
    # {language: [subject, text, html]}, with the placeholders in them.
    bodies = models.JSONField(default=dict)
    # [[name, content, mime type]], with the placeholders in the content.
    attachments = models.JSONField(default=list, blank=True)
    # The placeholder strings, and per recipient [to, language, headers, [value per placeholder]].
    placeholders = models.JSONField(default=list, blank=True)
    recipients = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("mail to many")
        verbose_name_plural = _("mails to many")

    def __str__(self) -> str:
        return f"{self.kind} → {len(self.recipients)} ({self.done} written out)"
