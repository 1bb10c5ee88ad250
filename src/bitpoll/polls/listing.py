"""The polls whose creators chose to list them on the home page."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from bitpoll.polls.models import Poll

MAX_LISTED = 30


def listed_polls(limit: int = MAX_LISTED) -> QuerySet[Poll]:
    """Open polls listed publicly, newest first; only what the list shows is read."""
    now = timezone.now()
    return (
        Poll.objects.filter(listed_publicly=True, is_closed=False)
        .filter(Q(deadline__isnull=True) | Q(deadline__gt=now))
        .order_by("-created", "-pk")
        .only("slug", "title", "kind", "created", "deadline")[:limit]
    )
