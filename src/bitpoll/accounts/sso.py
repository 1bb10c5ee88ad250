"""What OIDC and LDAP logins share: finding or creating the user, mirroring their groups.

A user signing in through a provider is found by ExternalIdentity, never by user name or
e-mail address, so a local account named like a directory user is never taken over; a new
user gets the provider's user name when it is free, else the name with a number appended.
Groups from a provider are mirrored into accounts.Group with that source and its members are
set by each login (read-only in the UI).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from bitpoll.accounts.models import ExternalIdentity, Group, Membership, Profile

log = logging.getLogger(__name__)

MAX_USERNAME = 150
MAX_DISPLAY_NAME = 80


def free_username(wanted: str) -> str:
    """`wanted` cut to a valid Django user name, with -2, -3... when it is taken."""
    User = get_user_model()
    base = "".join(ch for ch in wanted if ch.isalnum() or ch in "@.+-_")[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def user_for_identity(
    provider: str,
    issuer: str,
    subject: str,
    *,
    username: str,
    email: str,
    display_name: str,
    new_user: User | None = None,
) -> User:
    """The user behind a provider's identity, created at the first login, details refreshed.

    `new_user`, already saved, is linked at the first login instead of creating one (LDAP:
    django-auth-ldap builds the user itself).
    """
    User = get_user_model()
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        if new_user is not None:
            user = new_user
        else:
            user = User(username=free_username(username or subject), email=email)
            user.set_unusable_password()
            user.save()
        try:
            with transaction.atomic():
                identity = ExternalIdentity.objects.create(
                    user=user, provider=provider, issuer=issuer, subject=subject
                )
        except IntegrityError:
            # The same person's first login in two tabs at once: the other one won.
            user.delete()
            identity = ExternalIdentity.objects.select_related("user").get(
                provider=provider, issuer=issuer, subject=subject
            )
        else:
            log.info("created user %s for %s login", user.pk, provider)
    user = identity.user
    changed = []
    if email and user.email != email:
        user.email = email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)
    identity.last_login = timezone.now()
    identity.save(update_fields=["last_login"])
    profile, _ = Profile.objects.get_or_create(user=user)
    display_name = display_name.strip()[:MAX_DISPLAY_NAME]
    if display_name and profile.display_name != display_name:
        profile.display_name = display_name
        profile.save(update_fields=["display_name"])
    return user


def _free_slug(source: str, external_id: str, name: str) -> str:
    base = slugify(f"{source}-{name}")[:140] or f"{source}-group"
    candidate, n = base, 1
    while Group.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _mirrored_group(source: str, external_id: str, name: str) -> Group:
    group = Group.objects.filter(source=source, external_id=external_id).first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            return Group.objects.create(
                source=source,
                external_id=external_id,
                name=name[:150] or external_id[:150],
                slug=_free_slug(source, external_id, name or external_id),
            )
    except IntegrityError:
        # Two members of a new group logging in at once: the other login created it.
        return Group.objects.get(source=source, external_id=external_id)


@transaction.atomic
def sync_groups(user: User, source: str, groups: Mapping[str, str]) -> None:
    """Make the user a member of exactly `groups` (external id -> name) among `source`'s.

    Groups are created the first time someone in them logs in; memberships in local groups
    and in other providers' groups are left alone.
    """
    wanted: set[int] = set()
    for external_id, name in groups.items():
        wanted.add(_mirrored_group(source, external_id, name).pk)
    current = set(
        Membership.objects.filter(user=user, group__source=source).values_list(
            "group_id", flat=True
        )
    )
    Membership.objects.filter(user=user, group_id__in=current - wanted).delete()
    Membership.objects.bulk_create(
        [Membership(user=user, group_id=pk) for pk in wanted - current], ignore_conflicts=True
    )
