"""Writing an import plan (see plan.py): all of it in one transaction, or nothing."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from bitpoll.accounts.models import Group, Membership, Profile
from bitpoll.importer import convert
from bitpoll.importer.models import ImportedRow, LegacyPoll
from bitpoll.importer.plan import Plan, usable_hash
from bitpoll.importer.report import Options, Report
from bitpoll.polls import fold, sql, tokens
from bitpoll.polls.models import Choice, Comment, Entry, Invitation, Option, Poll, Watch

User = get_user_model()


def _record(kind: str, source_id: int, target_id: int) -> None:
    # update_or_create: the row of an earlier import stays when its user or group was
    # deleted here since, and then points to the new one.
    ImportedRow.objects.update_or_create(
        kind=kind, source_id=source_id, defaults={"target_id": target_id}
    )


def _random_hash() -> str:
    return tokens.hash_token(secrets.token_urlsafe(tokens.TOKEN_BYTES))


@transaction.atomic
def apply(result: Plan, options: Options) -> Report:
    """Write the plan; all or nothing."""
    report = result.report
    users = dict(result.user_map)
    now = timezone.now()
    for row in result.users:
        password = str(row["password"] or "")
        user = User(
            username=row["username"],
            email=str(row["email"] or ""),
            first_name=str(row["first_name"] or "")[:150],
            last_name=str(row["last_name"] or "")[:150],
            password=password if usable_hash(password) else "",
            is_active=convert.as_bool(row.get("is_active", True)),
            is_staff=options.keep_admin_rights and convert.as_bool(row.get("is_staff")),
            is_superuser=options.keep_admin_rights and convert.as_bool(row.get("is_superuser")),
            date_joined=convert.as_datetime(row.get("date_joined")) or now,
            last_login=convert.as_datetime(row.get("last_login")),
        )
        if not usable_hash(password):
            user.set_unusable_password()
        user.save()
        users[row["id"]] = user.pk
        zone = str(row.get("timezone") or "")
        # update_or_create: a profile may be made for every new user by the accounts app.
        Profile.objects.update_or_create(
            user=user,
            defaults={
                "display_name": str(row.get("displayname") or "").strip()[:80],
                "language": convert.LANGUAGES.get(str(row.get("language") or ""), ""),
                "time_zone": zone if convert.zone_or_none(zone) else "",
                "watch_by_default": convert.as_bool(row.get("auto_watch")),
            },
        )
        _record(ImportedRow.Kind.USER, row["id"], user.pk)
    for source_id, target_id in result.merged_users.items():
        _record(ImportedRow.Kind.USER, source_id, target_id)
    groups = dict(result.group_map)
    for row in result.groups:
        group = Group.objects.create(name=str(row["name"])[:150], slug=row["slug"])
        groups[row["id"]] = group.pk
        _record(ImportedRow.Kind.GROUP, row["id"], group.pk)
    for source_id, target_id in result.merged_groups.items():
        _record(ImportedRow.Kind.GROUP, source_id, target_id)
    for user_id, group_id, is_admin in result.memberships:
        membership, _created = Membership.objects.get_or_create(
            group_id=groups[group_id], user_id=users[user_id], defaults={"is_admin": is_admin}
        )
        if is_admin and not membership.is_admin:  # merged: never take admin rights away
            membership.is_admin = True
            membership.save(update_fields=["is_admin"])
    for item in result.polls:
        _apply_poll(item, users, groups, options, report)
    return report


def _apply_poll(
    item: dict[str, Any],
    users: dict[int, int],
    groups: dict[int, int],
    options: Options,
    report: Report,
) -> None:
    raw, hashed = tokens.new_token()
    poll = Poll(
        **item["fields"],
        owner_id=users.get(item["owner"]) if item["owner"] else None,
        owner_group_id=groups.get(item["group"]) if item["group"] else None,
        admin_token_hash=hashed,
    )
    poll.save()
    if not item["owned"] or options.admin_links_for_all:
        report.admin_links.append(
            (item["old_slug"], poll.slug, options.base_url.rstrip("/") + poll.admin_url(raw))
        )
    LegacyPoll.objects.create(old_slug=item["old_slug"], source_id=item["source_id"], poll=poll)
    choices = Choice.objects.bulk_create(
        Choice(
            poll=poll, label=s["label"], colour=s["colour"], icon=s["icon"], weight=s["weight"],
            order=i,
        )
        for i, s in enumerate(item["scale"])
    )  # fmt: skip
    choice_ids = {s["source_id"]: c.pk for s, c in zip(item["scale"], choices, strict=True)}
    options_made = Option.objects.bulk_create(
        Option(
            poll=poll, date=o.get("date"), start=o.get("start"), text=o.get("text", ""),
            group=o.get("group", ""), order=o["order"], is_deleted=o["is_deleted"],
        )
        for o in item["options"]
    )  # fmt: skip
    option_ids = {o["source_id"]: m.pk for o, m in zip(item["options"], options_made, strict=True)}
    entries = Entry.objects.bulk_create(
        Entry(
            poll=poll,
            name=e["name"],
            edit_token_hash=_random_hash(),
            user_id=users.get(e["user"]) if e["user"] else None,
            created=e["created"],
            updated=e["created"],
        )
        for e in item["entries"]
    )
    # Through the polls' own prepared statement: the ORM's bulk_create spent most of an
    # import's time building model instances for the cells.
    for e, entry in zip(item["entries"], entries, strict=True):
        sql.insert_votes(
            entry.pk,
            ((option_ids[option], choice_ids[value], note) for option, value, note in e["votes"]),
        )
    fold.refold(poll_ids=[poll.pk])
    comments = [
        Comment(
            poll=poll, entry_id=entry.pk, author=e["name"] or "Anonymous", text=e["comment"],
            edit_token_hash=_random_hash(), created=e["created"],
        )
        for e, entry in zip(item["entries"], entries, strict=True)
        if e["comment"].strip()
    ]  # fmt: skip
    comments += [
        Comment(
            poll=poll, author=c["author"], text=c["text"], edit_token_hash=_random_hash(),
            created=c["created"],
        )
        for c in item["comments"]
    ]  # fmt: skip
    Comment.objects.bulk_create(comments)
    Invitation.objects.bulk_create(
        Invitation(poll=poll, user_id=users[i["user"]], created=i["created"] or poll.created)
        for i in item["invitations"]
        if i["user"] in users
    )
    Watch.objects.bulk_create(
        Watch(poll=poll, user_id=users[w["user"]]) for w in item["watches"] if w["user"] in users
    )
