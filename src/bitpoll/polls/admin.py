"""Django admin for the people who run the server: find, inspect, close or delete polls.

Poll owners never need it (they have their admin link); it is for moderation. Secrets are
only hashes and are never shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bitpoll.polls import services
from bitpoll.polls.models import Choice, Comment, DeletedSlug, Option, Poll


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["label", "colour", "icon", "weight", "order"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["date", "start", "end", "group", "text", "order", "is_deleted"]


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "answers", "is_closed", "deadline", "created"]
    list_filter = ["kind", "is_closed", "results_visibility", "listed_publicly"]
    search_fields = ["title", "slug", "description"]
    readonly_fields = ["version", "created", "updated"]
    exclude = ["admin_token_hash"]
    inlines = [ChoiceInline, OptionInline]
    actions = ["close_polls"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Poll]:
        return super().get_queryset(request).annotate(answer_count=Count("entries"))

    @admin.display(description=_("answers"), ordering="answer_count")
    def answers(self, poll: Poll) -> int:
        return poll.answer_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Poll, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
        if change and "one_answer_per_name" in form.changed_data:  # type: ignore[attr-defined]
            services.sync_name_keys(obj)
        obj.touch()

    def save_related(
        self, request: HttpRequest, form: object, formsets: object, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[arg-type]
        form.instance.touch()  # type: ignore[attr-defined]

    @admin.action(description=_("Close the selected polls"))
    def close_polls(self, request: HttpRequest, queryset: QuerySet[Poll]) -> None:
        for poll in queryset:
            poll.close()


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author", "poll", "created"]
    search_fields = ["author", "text", "poll__title", "poll__slug"]
    exclude = ["edit_token_hash"]
    raw_id_fields = ["poll", "entry"]

    # Every change to a comment changes its poll's page: bump the version (cached pages).
    def save_model(self, request: HttpRequest, obj: Comment, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
        obj.poll.touch()

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        poll = obj.poll
        super().delete_model(request, obj)
        poll.touch()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        polls = list(Poll.objects.filter(comments__in=queryset).distinct())
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for poll in polls:
                poll.touch()


@admin.register(DeletedSlug)
class DeletedSlugAdmin(admin.ModelAdmin):
    """Link names of deleted polls, blocked for a while; deleting one frees it early."""

    list_display = ["slug", "deleted"]
    search_fields = ["slug"]
    readonly_fields = ["slug", "deleted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
