from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """How often one subject did one thing in one fixed time window.

    `subject` is a keyed hash of the client's address (or the poll, or the user name), so the
    table holds no addresses. Rows are written only with the single upsert in limits.py and
    deleted once `expires` has passed.
    """

    scope = models.CharField(_("scope"), max_length=32)
    subject = models.CharField(_("subject"), max_length=32)
    bucket = models.BigIntegerField(_("window start"), help_text=_("Unix time, in seconds"))
    expires = models.BigIntegerField(_("expires"), help_text=_("Unix time, in seconds"))
    hits = models.PositiveIntegerField(_("hits"), default=1)

    class Meta:
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject", "bucket"], name="ratelimit_counter_unique_window"
            ),
        ]
        indexes = [models.Index(fields=["expires"], name="ratelimit_counter_expires")]

    def __str__(self) -> str:
        return f"{self.scope} {self.subject} @{self.bucket}: {self.hits}"
