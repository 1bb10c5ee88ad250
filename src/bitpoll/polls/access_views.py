"""Admin pages for accounts: who may answer, who owns the poll, who is invited.

Reached through the admin link or, for the owner, the owning group's members and superusers,
through /<slug>/admin/account/ (see access.py). With accounts off these pages are 404s.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from bitpoll.polls import access, lifecycle, services
from bitpoll.polls.forms import AccessForm, AccountInviteForm
from bitpoll.polls.models import Poll
from bitpoll.ratelimit import limits


def _poll(request: HttpRequest, slug: str, token: str) -> Poll:
    if not settings.ACCOUNTS_ENABLED:
        raise Http404
    return access.get_poll_for_admin(slug, token, request)


def _url(poll: Poll, token: str) -> str:
    return reverse("polls:admin_access", args=[poll.slug, token])


def _groups_for(request: HttpRequest) -> list[Any]:
    """Groups the visitor may hand the poll to: their own (any, for superusers)."""
    from bitpoll.accounts.models import Group

    if not access.logged_in(request):
        return []
    if request.user.is_superuser:
        return list(Group.objects.all())
    return list(Group.objects.filter(memberships__user=request.user.pk))


def _invitations(poll: Poll) -> list[dict[str, object]]:
    """Each invitation with whether its invitee answered (by account, for users and groups)."""
    answered_users = set(poll.entries.exclude(user=None).values_list("user_id", flat=True))
    rows = []
    for inv in poll.invitations.select_related("user", "group"):
        if inv.user is not None:
            label, answered = inv.user.get_username(), inv.user_id in answered_users
        elif inv.group is not None:
            members = set(inv.group.memberships.values_list("user_id", flat=True))
            label = inv.group.name
            missing = members - answered_users
            answered = not missing
        else:
            label, answered = inv.email, False
        rows.append({"invitation": inv, "label": label, "answered": answered})
    return rows


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def access_settings(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = _poll(request, slug, token)
    if request.method == "POST":
        form = AccessForm(request.POST)
        if form.is_valid():
            services.update_poll(poll, form.cleaned_data)
            messages.success(request, _("Who may answer is updated."))
            return redirect(_url(poll, token))
        status = 400
    else:
        form = AccessForm(initial=AccessForm.initial_for(poll))
        status = 200
    ctx = {
        "poll": poll,
        "token": token,
        "form": form,
        "invite_form": AccountInviteForm(),
        "invitations": _invitations(poll),
        "groups": _groups_for(request),
        "is_owner": access.logged_in(request) and poll.owner_id == request.user.pk,
    }
    return render(request, "polls/admin/access.html", ctx, status=status)


@require_POST
def transfer(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Hand the poll to one of the visitor's groups (or take it back: group empty), or, with
    the admin link, make the logged-in visitor its owner (claim)."""
    poll = _poll(request, slug, token)
    if not access.logged_in(request):
        raise Http404
    if request.POST.get("claim"):
        poll.owner = request.user  # type: ignore[assignment]
        poll.save(update_fields=["owner"])
        messages.success(request, _("The poll is now yours: it is listed under your polls."))
        return redirect(_url(poll, token))
    wanted = str(request.POST.get("group", ""))
    if wanted:
        allowed = {g.slug: g for g in _groups_for(request)}
        if wanted not in allowed:
            return HttpResponse(status=403)
        poll.owner_group = allowed[wanted]
        messages.success(
            request,
            _("The poll now belongs to %(group)s; its members manage it.")
            % {"group": allowed[wanted].name},
        )
    else:
        poll.owner_group = None
        messages.success(request, _("The poll no longer belongs to a group."))
    poll.save(update_fields=["owner_group"])
    return redirect(_url(poll, token))


@require_POST
def invite(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    from bitpoll.accounts.models import Group

    poll = _poll(request, slug, token)
    form = AccountInviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name a user or a group to invite."))
        return redirect(_url(poll, token))
    value = form.cleaned_data["invitee"].strip()
    user_model = get_user_model()
    user = (
        user_model.objects.filter(username=value, is_active=True).first()
        or user_model.objects.filter(email__iexact=value, is_active=True).order_by("pk").first()
    )
    group = None if user is not None else Group.objects.filter(slug=value).first()
    if user is None and group is None:
        messages.error(request, _("No account or group is called “%(name)s”.") % {"name": value})
        return redirect(_url(poll, token))
    try:
        with transaction.atomic():
            # Counted with the e-mail invitations (per client and per poll): a group
            # invitation mails every member.
            limits.check(request, "invitations", poll=poll.pk)
            lifecycle.invite_account(poll, user=user, group=group)
    except IntegrityError:
        messages.error(request, _("“%(name)s” is invited already.") % {"name": value})
    else:
        messages.success(request, _("“%(name)s” is invited.") % {"name": value})
    return redirect(_url(poll, token))


@require_POST
def uninvite(request: HttpRequest, slug: str, token: str, invitation_id: int) -> HttpResponse:
    poll = _poll(request, slug, token)
    get_object_or_404(poll.invitations, pk=invitation_id).delete()
    messages.success(request, _("The invitation is withdrawn."))
    return redirect(_url(poll, token))
