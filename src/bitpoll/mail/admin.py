from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bitpoll.mail.models import Fanout, Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created", "kind", "to", "status", "attempts", "sent", "maybe_duplicate"]
    list_filter = ["status", "kind", "maybe_duplicate"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created"
    readonly_fields = [f.name for f in Message._meta.get_fields() if f.concrete]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again now (failed or queued mails)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = queryset.filter(status__in=[Message.Status.FAILED, Message.Status.QUEUED]).update(
            status=Message.Status.QUEUED, next_try=timezone.now(), attempts=0
        )
        self.message_user(request, _("%(count)d mails queued again.") % {"count": count})


@admin.register(Fanout)
class FanoutAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Mails to many that the sender has not written out into outbox rows yet: read only."""

    list_display = ["created", "kind", "poll", "recipient_count", "done"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Fanout._meta.get_fields() if f.concrete]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("recipients"))
    def recipient_count(self, obj: Fanout) -> int:
        return len(obj.recipients)
