"""The Django admin's view of single sign-on identities (read-only: logins maintain them).

Deleting one makes the next login through that provider create a new account; to keep someone
out, lock (deactivate) their user instead.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from bitpoll.accounts.models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ["subject", "provider", "issuer", "user", "last_login"]
    list_filter = ["provider"]
    search_fields = ["subject", "user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "provider", "issuer", "subject", "created", "last_login"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
