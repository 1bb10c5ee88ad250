"""Accounts and groups: what organisations add on top of anonymous polls.

Data model (the importer, backup/restore and the polls app rely on it):

- Users are Django's own `auth.User` (there is no second user model). `Profile` holds what
  Bitpoll adds to a user: the display name shown instead of the username, the preferred language
  and time zone (blank: the site's), and whether polls the user creates are watched by default.
- Group: a set of users that can own polls and be invited to them. `source` says where it comes
  from: made in Bitpoll (`local`), or mirrored from single sign-on (`oidc`, `ldap`), in which case
  `external_id` is the provider's name for it and its members are maintained by the login, not
  by people (read-only in the UI). Django's own `auth.Group` stays what it is in Django:
  permissions for the Django admin.
- Membership: a user in a group; `is_admin` lets the user manage the group's members and polls.

Polls know accounts only through a narrow interface: `Poll.owner`, `Poll.owner_group`, the
access settings on Poll, `Entry.user`, and `polls.Invitation` / `polls.Watch`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    watch_by_default = models.BooleanField(_("watch my polls by default"), default=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class Group(models.Model):
    class Source(models.TextChoices):
        LOCAL = "local", _("Bitpoll")
        OIDC = "oidc", _("OpenID Connect")
        LDAP = "ldap", _("LDAP")

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name"), max_length=150, unique=True)
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.LOCAL
    )
    # The provider's identifier of a mirrored group (claim value or LDAP DN); empty for local ones.
    external_id = models.CharField(max_length=500, blank=True, default="")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="bitpoll_groups",
        verbose_name=_("members"),
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="accounts_group_one_per_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_managed_externally(self) -> bool:
        return self.source != self.Source.LOCAL


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bitpoll_memberships"
    )
    is_admin = models.BooleanField(_("group admin"), default=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="accounts_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"


class ExternalIdentity(models.Model):
    """A user's account at a single sign-on provider, which the login looks up.

    Users are found by the provider's stable identifier (OIDC: issuer and `sub`; LDAP: the user
    name the directory knows), never by e-mail address: an address that someone can set at the
    provider must not open another person's Bitpoll account.
    """

    class Provider(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        LDAP = "ldap", _("LDAP")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    provider = models.CharField(_("provider"), max_length=8, choices=Provider.choices)
    # OIDC: the issuer URL; LDAP: empty (the one configured directory).
    issuer = models.CharField(_("issuer"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_login = models.DateTimeField(_("last login"), default=timezone.now)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "issuer", "subject"], name="accounts_externalidentity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
