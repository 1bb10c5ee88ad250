"""A user's Bitpoll profile and the name the polls show for them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bitpoll.accounts.models import Profile


def profile_of(user: Any) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def display_name(user: Any) -> str:
    if not user.is_authenticated:
        return ""
    profile = Profile.objects.filter(user=user).only("display_name").first()
    return (profile.display_name if profile else "") or user.get_username()


@transaction.atomic
def rename_entries(user: Any) -> None:
    """Show the account's current name on every answer made with it."""
    from bitpoll.polls.models import Entry, Poll

    name = display_name(user)[:80]
    stale = Entry.objects.filter(user=user).exclude(name=name)
    poll_ids = set(stale.values_list("poll_id", flat=True))
    stale.update(name=name)
    for poll in Poll.objects.filter(pk__in=poll_ids):
        poll.touch()
