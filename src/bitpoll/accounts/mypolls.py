"""My polls: what a logged-in user owns, what their groups own, what they answered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from bitpoll.accounts.models import Membership
from bitpoll.accounts.views import accounts_on
from bitpoll.polls.models import Entry, Invitation, Poll


def _listed(polls: QuerySet[Poll]) -> list[Poll]:
    return list(
        polls.select_related("owner_group")
        .annotate(answer_count=Count("entries"))
        .order_by("-created", "-pk")
    )


@accounts_on
@login_required
@never_cache
@require_safe
def my_polls(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    group_ids = Membership.objects.filter(user=user).values("group_id")
    owned = _listed(Poll.objects.filter(owner=user))
    of_groups = _listed(Poll.objects.filter(owner_group__in=group_ids).exclude(owner=user))
    answered = _listed(
        Poll.objects.filter(pk__in=Entry.objects.filter(user=user).values("poll_id"))
    )
    invited_ids = Invitation.objects.filter(Q(user=user) | Q(group__memberships__user=user)).values(
        "poll_id"
    )
    invited = _listed(
        Poll.objects.filter(pk__in=invited_ids).exclude(
            pk__in=Entry.objects.filter(user=user).values("poll_id")
        )
    )
    ctx = {"owned": owned, "of_groups": of_groups, "answered": answered, "invited": invited}
    return render(request, "accounts/my_polls.html", ctx)
