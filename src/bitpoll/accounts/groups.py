"""Groups: create one, add and remove members, make members admins.

Anyone logged in may create a group and becomes its admin. Members see the group; its admins
change its members. Groups mirrored from single sign-on are read-only here: their members
are maintained by the login. Outsiders get 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bitpoll.accounts.forms import GroupForm, MemberForm
from bitpoll.accounts.models import Group, Membership
from bitpoll.accounts.views import accounts_on


def _group_for_member(request: HttpRequest, slug: str) -> tuple[Group, Membership | None]:
    """The group and the visitor's membership; 404 to outsiders (site admins may look)."""
    group = get_object_or_404(Group, slug=slug)
    membership = group.memberships.filter(user=request.user.pk).first()
    if membership is None and not request.user.is_superuser:
        raise Http404
    return group, membership


def _may_manage(request: HttpRequest, group: Group, membership: Membership | None) -> bool:
    if group.is_managed_externally:
        return False
    return bool(request.user.is_superuser or (membership is not None and membership.is_admin))


@accounts_on
@login_required
@never_cache
@require_safe
def group_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user.pk)
        .select_related("group")
        .order_by("group__name", "group__pk")
    )
    return render(request, "accounts/groups.html", {"memberships": memberships})


@accounts_on
@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = GroupForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                group = form.save()
                Membership.objects.create(group=group, user=request.user, is_admin=True)  # type: ignore[misc]
            messages.success(request, _("The group is created. Add its members below."))
            return redirect("accounts:group", slug=group.slug)
        status = 400
    else:
        form = GroupForm()
        status = 200
    return render(request, "accounts/group_create.html", {"form": form}, status=status)


@accounts_on
@login_required
@never_cache
@require_safe
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = _group_for_member(request, slug)
    ctx: dict[str, Any] = {
        "group": group,
        "members": group.memberships.select_related("user", "user__profile").order_by(
            "-is_admin", "user__username"
        ),
        "may_manage": _may_manage(request, group, membership),
        "form": MemberForm(),
        "polls": group.polls.order_by("-created"),
    }
    return render(request, "accounts/group.html", ctx)


@accounts_on
@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = _group_for_member(request, slug)
    if not _may_manage(request, group, membership):
        return HttpResponse(status=403)
    form = MemberForm(request.POST)
    if not form.is_valid():
        ctx = {
            "group": group,
            "members": group.memberships.select_related("user"),
            "may_manage": True,
            "form": form,
            "polls": group.polls.order_by("-created"),
        }
        return render(request, "accounts/group.html", ctx, status=400)
    user = form.cleaned_data["username"]
    try:
        with transaction.atomic():
            Membership.objects.create(
                group=group, user=user, is_admin=form.cleaned_data["is_admin"]
            )
    except IntegrityError:
        messages.error(request, _("%(name)s is a member already.") % {"name": user.get_username()})
    else:
        messages.success(request, _("%(name)s is now a member.") % {"name": user.get_username()})
    return redirect("accounts:group", slug=group.slug)


@accounts_on
@login_required
@require_POST
def member_change(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """action=remove, admin or member (drop admin rights). The last admin stays."""
    group, membership = _group_for_member(request, slug)
    if not _may_manage(request, group, membership):
        return HttpResponse(status=403)
    target = get_object_or_404(group.memberships, user_id=user_id)
    action = request.POST.get("action", "")
    if action not in {"remove", "admin", "member"}:
        return HttpResponse(status=400)
    with transaction.atomic():
        admins = group.memberships.select_for_update().filter(is_admin=True)
        last_admin = target.is_admin and admins.count() == 1
        if action in {"remove", "member"} and last_admin:
            messages.error(request, _("A group needs an admin: make someone else admin first."))
        elif action == "remove":
            target.delete()
            messages.success(request, _("The member is removed."))
        else:
            target.is_admin = action == "admin"
            target.save(update_fields=["is_admin"])
            messages.success(request, _("The member's role is changed."))
    return redirect("accounts:group", slug=group.slug)
