"""Django admin for accounts: users with their Bitpoll profile, groups with members, and
locking accounts (a locked account cannot log in; its polls and answers stay)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bitpoll.accounts.models import Group, Membership, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name", "language", "time_zone", "watch_by_default"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "is_admin"]
    raw_id_fields = ["user"]


def _end_sessions(users: QuerySet) -> None:  # type: ignore[type-arg]
    """Log the users out everywhere: their sessions are deleted."""
    ids = {str(pk) for pk in users.values_list("pk", flat=True)}
    stale = [
        s.pk for s in Session.objects.iterator() if s.get_decoded().get("_auth_user_id") in ids
    ]
    Session.objects.filter(pk__in=stale).delete()


class BitpollUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "is_active", "is_staff", "last_login", "date_joined"]
    actions = ["lock", "unlock"]

    @admin.action(description=_("Lock the selected accounts"))
    def lock(self, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[type-arg]
        count = queryset.exclude(pk=request.user.pk).update(is_active=False)
        _end_sessions(queryset.exclude(pk=request.user.pk))
        self.message_user(
            request,
            ngettext("%(count)d account locked.", "%(count)d accounts locked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[type-arg]
        count = queryset.update(is_active=True)
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, BitpollUserAdmin)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "source", "created"]
    list_filter = ["source"]
    search_fields = ["name", "slug", "external_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created"]
    inlines = [MembershipInline]
