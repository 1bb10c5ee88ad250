"""Every figure of EXPECTED-sample.json, checked against what an import wrote here."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from bitpoll.accounts.models import Group, Membership
from bitpoll.importer.models import LegacyPoll
from bitpoll.polls.models import Choice, Comment, Entry, Invitation, Option, Poll, Vote, Watch

KINDS = {"universal": "text", "date": "date", "datetime": "datetime"}


def _utc(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) if text else None


def _report_row(report: str, table: str) -> list[int]:
    """The numbers of a table's row in the printed report."""
    for line in report.splitlines():
        if line.startswith(table + " ") and line[len(table) :].split()[0].isdigit():
            return [int(n) for n in line[len(table) :].split()]
    raise AssertionError(f"no row {table!r} in the report:\n{report}")


def check_totals(expected: dict[str, Any], report: str, admin_rights: bool) -> None:
    totals = expected["totals"]
    users = User.objects.all()
    assert users.count() == totals["users"]
    assert users.filter(is_active=True).count() == totals["active_users"]
    assert users.filter(is_superuser=True).count() == (totals["superusers"] if admin_rights else 0)
    assert Group.objects.count() == totals["groups"]
    memberships = Membership.objects.all()
    assert memberships.count() == totals["group_memberships"]
    assert memberships.filter(is_admin=True).count() == totals["group_admins"]
    assert _report_row(report, "group invitations")[:3] == [
        totals["pending_group_invitations"], 0, 0,
    ]  # fmt: skip
    # Comments of the original carry no answer; overall vote comments became comments tied to
    # their answer.
    assert Comment.objects.filter(entry=None).count() == totals["comments"]
    assert Poll.objects.count() == LegacyPoll.objects.count() == totals["polls"]
    assert Option.objects.count() == totals["choices"]
    assert Option.objects.filter(is_deleted=False).count() == totals["choices_non_deleted"]
    # Deleted answer values nobody used are left out; the report counts them.
    deleted_values = totals["choice_values"] - totals["choice_values_non_deleted"]
    assert _report_row(report, "answer values") == [
        totals["choice_values"], totals["choice_values_non_deleted"], 0, deleted_values,
    ]  # fmt: skip
    assert Choice.objects.count() == totals["choice_values_non_deleted"]
    entries = Entry.objects.all()
    assert entries.count() == totals["votes"]
    assert entries.filter(name="", user=None).count() == totals["anonymous_votes"]
    assert entries.exclude(user=None).count() == totals["votes_by_users"]
    assert Vote.objects.count() == totals["vote_choices"]
    assert Invitation.objects.count() == totals["invitations"]
    assert Watch.objects.count() == totals["watches"]
    for table, key in (
        ("users", "users"), ("groups", "groups"), ("polls", "polls"), ("choices", "choices"),
        ("votes", "votes"), ("comments", "comments"), ("invitations", "invitations"),
        ("watches", "watches"), ("vote choices", "vote_choices"),
    ):  # fmt: skip
        assert _report_row(report, table) == [totals[key], totals[key], 0, 0], table


def _option_text(option: Option) -> str:
    return f"{option.group}/{option.text}" if option.group else option.text


def _check_choice(poll: Poll, option: Option, want: dict[str, Any]) -> None:
    if poll.kind == "text":
        assert _option_text(option) == want["text"]
        assert option.date is None and option.start is None
    elif poll.kind == "date":
        day = _utc(want["date_utc"])
        assert day is not None and option.date == day.date()
    else:
        assert option.start == _utc(want["date_utc"])
    counts = Counter(vote.choice.label for vote in option.votes.select_related("choice"))
    assert dict(counts) == want["votes_by_value"], (poll.slug, want)
    assert want["vote_choices_without_value"] == 0


def check_polls(expected: dict[str, Any]) -> None:
    for old_slug, want in expected["polls"].items():
        poll = LegacyPoll.objects.get(old_slug=old_slug).poll
        assert poll.title == want["title"]
        assert poll.kind == KINDS[want["type"]]
        assert (poll.owner.username if poll.owner else None) == want["owner_user"]
        assert (poll.owner_group.name if poll.owner_group else None) == want["owner_group"]
        assert poll.time_zone == want["timezone_name"]
        assert poll.deadline == _utc(want["due_date_utc"])
        options = list(poll.options.all())
        live = [o for o in options if not o.is_deleted]
        gone = [o for o in options if o.is_deleted]
        assert len(live) == want["choices_non_deleted"]
        assert len(gone) == want["choices_deleted"]
        for option, choice in zip(live, want["choices"], strict=True):
            _check_choice(poll, option, choice)
        for option, choice in zip(gone, want["deleted_choices"], strict=True):
            _check_choice(poll, option, choice)
        entries = poll.entries.all()
        assert entries.count() == want["votes"]
        assert entries.filter(name="", user=None).count() == want["anonymous_votes"]
        assert entries.exclude(user=None).count() == want["votes_by_users"]
        assert poll.comments.filter(entry=None).count() == want["comments"]
        assert poll.invitations.count() == want["invitations"]
        assert poll.watches.count() == want["watches"]
        scale = list(poll.choices.all())
        kept = [v for v in want["choice_values"] if not v["deleted"]]
        assert [c.label for c in scale] == [v["title"] for v in kept]
        assert [c.weight for c in scale] == [Decimal(v["weight"]) for v in kept]


def check_all(expected: dict[str, Any], report: str, admin_rights: bool = False) -> None:
    check_totals(expected, report, admin_rights)
    check_polls(expected)
