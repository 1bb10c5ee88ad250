"""What an import from the original Bitpoll leaves behind.

- LegacyPoll: the original's link name of an imported poll (case-sensitive, may hold capitals
  and underscores that our link names do not allow) and the poll it became. The redirects of
  the original's URLs (/poll/<slug>/...) look it up, and a second import skips polls that
  have one.
- ImportedRow: which user or group of the original became which row here, so that a second
  import reuses them instead of creating them twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bitpoll.polls.models import Poll


class LegacyPoll(models.Model):
    old_slug = models.CharField(_("original link name"), max_length=80, unique=True)
    source_id = models.BigIntegerField()
    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="legacy")
    imported = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("imported poll")
        verbose_name_plural = _("imported polls")

    def __str__(self) -> str:
        return f"{self.old_slug} -> {self.poll_id}"


class ImportedRow(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("account")
        GROUP = "group", _("group")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    source_id = models.BigIntegerField()
    target_id = models.BigIntegerField()
    imported = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_id"], name="importer_row_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} -> {self.target_id}"
