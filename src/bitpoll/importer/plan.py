"""Planning an import of the original Bitpoll's database: read both sides, decide everything.

`plan()` reads the source and the target but writes nothing, so `--dry-run` prints exactly
the report a real run prints. `apply()` writes the plan in one transaction: any error leaves
the target as it was. What was imported before (LegacyPoll, ImportedRow) is skipped, so a
second run imports nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, identify_hasher
from django.utils import timezone
from django.utils.text import slugify

from bitpoll.accounts.models import Group
from bitpoll.importer import convert
from bitpoll.importer.models import ImportedRow, LegacyPoll
from bitpoll.importer.report import ImportRefused, Options, Report
from bitpoll.importer.source import Source
from bitpoll.polls.models import (
    AnswerAccess,
    DeletedSlug,
    Poll,
)

User = get_user_model()


KINDS = {"universal": Poll.Kind.TEXT, "date": Poll.Kind.DATE, "datetime": Poll.Kind.DATETIME}
# show_results of the original -> (who sees the results, totals only). "summary" shows the
# summary without the table of votes: our summary-only mode.
SHOW_RESULTS = {
    "complete": (Poll.Visibility.ALWAYS, False),
    "summary": (Poll.Visibility.ALWAYS, True),
    "never": (Poll.Visibility.ADMIN_ONLY, False),
    "summary after vote": (Poll.Visibility.AFTER_ANSWER, True),
    "complete after vote": (Poll.Visibility.AFTER_ANSWER, False),
}

POLL_COLUMNS = (
    "id", "title", "description", "url", "type", "created", "due_date", "anonymous_allowed",
    "public_listening", "require_login", "require_invitation", "show_results", "send_mail",
    "one_vote_per_user", "allow_unauthenticated_vote_changes", "allow_comments",
    "show_invitations", "timezone_name", "use_user_timezone", "vote_all", "sorting",
    "hide_participants", "show_score_in_summary", "user_id", "group_id",
)  # fmt: skip
USER_COLUMNS = (
    "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
    "email", "is_staff", "is_active", "date_joined", "language", "timezone", "auto_watch",
    "displayname", "email_invitation",
)  # fmt: skip

# Settings of the original that have no equivalent here (yet): why, for the report.
DROPPED_SETTINGS = {
    "send_mail": "legacy flag of the older Dudel import, never set by the original's forms",
    "show_invitations": "the poll page here does not list invited people who have not answered",
    "use_user_timezone": "options are shown in the poll's time zone",
    "allow_unauthenticated_vote_changes": (
        "answers without an account can only be changed with their own edit link here; "
        "imported ones have none, so only the poll's admins can change them"
    ),
    "show_score_in_summary": "the summary here always shows counts and the score",
}
# Value each setting has in the original when it means "nothing special".
SETTING_DEFAULTS: dict[str, Any] = {
    "send_mail": False,
    "show_invitations": True,
    "use_user_timezone": False,
    "allow_unauthenticated_vote_changes": None,  # always reported: the rule differs
    "show_score_in_summary": False,
}


@dataclass
class Plan:
    report: Report
    users: list[dict[str, Any]] = field(default_factory=list)  # to create
    user_map: dict[int, int] = field(default_factory=dict)  # source id -> existing target id
    merged_users: dict[int, int] = field(default_factory=dict)  # recorded as ImportedRow
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_map: dict[int, int] = field(default_factory=dict)
    merged_groups: dict[int, int] = field(default_factory=dict)
    memberships: list[tuple[int, int, bool]] = field(default_factory=list)  # user, group, admin
    polls: list[dict[str, Any]] = field(default_factory=list)
    # Why the import cannot run as asked: all of them, so that one dry run shows everything.
    refusals: list[str] = field(default_factory=list)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _by(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def plan(source: Source, options: Options) -> Plan:
    """Read the source and the target and decide everything; write nothing."""
    report = Report(source=source.description)
    report.migration_state = source.check()
    result = Plan(report=report)
    _plan_users(source, options, result)
    _plan_groups(source, options, result)
    _plan_polls(source, options, result)
    report.refusals = result.refusals
    return result


def _plan_users(source: Source, options: Options, result: Plan) -> None:
    report = result.report
    rows = source.rows("base_bitpolluser", USER_COLUMNS)
    imported = dict(
        ImportedRow.objects.filter(kind=ImportedRow.Kind.USER).values_list("source_id", "target_id")
    )
    existing = dict(User.objects.values_list("username", "pk"))
    existing_ids = set(existing.values())
    collisions = []
    for row in rows:
        report.count("users", "source")
        if row["id"] in imported and imported[row["id"]] in existing_ids:
            result.user_map[row["id"]] = imported[row["id"]]
            report.count("users", "already")
            continue
        if row["username"] in existing:
            if options.on_account_collision == "merge":
                result.user_map[row["id"]] = existing[row["username"]]
                result.merged_users[row["id"]] = existing[row["username"]]
                report.count("users", "skipped")
                report.note(
                    "adjusted",
                    f"user {row['username']}: an account of that name exists here; its polls, "
                    "answers and groups were attached to it (--on-account-collision=merge)",
                )
                continue
            collisions.append(row["username"])
            continue
        result.users.append(row)
        report.count("users", "imported")
    if collisions:
        result.refusals.append(
            "accounts with these usernames exist here already: "
            + ", ".join(sorted(collisions))
            + ". Use --on-account-collision=merge to attach the imported polls, answers and "
            "groups to them (only if they are the same people)"
        )
    unusable = sum(1 for r in result.users if not usable_hash(str(r["password"] or "")))
    if unusable:
        report.note(
            "adjusted",
            f"{unusable} account(s) have no password Django accepts (LDAP/OpenID accounts or an "
            "unknown hash algorithm): they can log in only after a password reset",
        )
    admins = [r["username"] for r in result.users if r["is_superuser"] or r["is_staff"]]
    if admins and not options.keep_admin_rights:
        report.note(
            "dropped",
            f"staff and superuser rights of {', '.join(admins)}: imported as normal accounts "
            "(--keep-admin-rights carries them over)",
        )
    report.note(
        "mapped",
        "users: username, e-mail, first and last name, password hash, active flag, join date; "
        "display name, language (english -> en, german -> de), time zone and auto_watch "
        "(as 'watch my polls by default') into the profile",
    )
    if any(not convert.as_bool(r.get("email_invitation", True)) for r in result.users):
        report.note(
            "dropped",
            "the preference 'allow invitations per mail' (the original ignored it too)",
        )


def usable_hash(password: str) -> bool:
    if not password or password.startswith(UNUSABLE_PASSWORD_PREFIX):
        return False
    try:
        identify_hasher(password)
    except ValueError:
        return False
    return True


def _plan_groups(source: Source, options: Options, result: Plan) -> None:
    report = result.report
    rows = source.rows("auth_group", ("id", "name"))
    imported = dict(
        ImportedRow.objects.filter(kind=ImportedRow.Kind.GROUP).values_list(
            "source_id", "target_id"
        )
    )
    existing_ids = set(Group.objects.values_list("pk", flat=True))
    existing = dict(Group.objects.values_list("slug", "pk"))
    used = set(existing)
    collisions = []
    new_ids: set[int] = set()
    for row in rows:
        report.count("groups", "source")
        if row["id"] in imported and imported[row["id"]] in existing_ids:
            result.group_map[row["id"]] = imported[row["id"]]
            report.count("groups", "already")
            continue
        slug = slugify(row["name"])[:150] or f"group-{row['id']}"
        if slug in existing:
            if options.on_account_collision == "merge":
                result.group_map[row["id"]] = existing[slug]
                result.merged_groups[row["id"]] = existing[slug]
                report.count("groups", "skipped")
                report.note("adjusted", f"group {row['name']}: merged into the group {slug} here")
                continue
            collisions.append(row["name"])
            continue
        base, n = slug, 1
        while slug in used:
            n += 1
            slug = f"{base[:140]}-{n}"
        used.add(slug)
        result.groups.append({**row, "slug": slug})
        new_ids.add(row["id"])
        report.count("groups", "imported")
    if collisions:
        result.refusals.append(
            "groups with these names exist here already: "
            + ", ".join(sorted(collisions))
            + ". Use --on-account-collision=merge to merge them"
        )
    # Members and admins: a membership here carries the admin flag, so an admin who was not
    # a member (possible in the original) becomes an admin member.
    members = {
        (m["bitpolluser_id"], m["group_id"])
        for m in source.rows("base_bitpolluser_groups", ("id", "bitpolluser_id", "group_id"))
    }
    report.count("group memberships", "source", len(members))
    props = {
        p["id"]: p["group_id"]
        for p in source.rows("groups_groupproperties", ("id", "group_id", "public_members"))
    }
    admins = {
        (a["bitpolluser_id"], props.get(a["groupproperties_id"]))
        for a in source.rows(
            "groups_groupproperties_admins", ("id", "groupproperties_id", "bitpolluser_id")
        )
    }
    report.count("group admins", "source", len(admins))
    new_users = {r["id"] for r in result.users}
    for user_id, group_id in sorted(members | admins, key=lambda p: (p[1] or 0, p[0])):
        if group_id is None or (group_id not in result.group_map and group_id not in new_ids):
            continue
        is_admin = (user_id, group_id) in admins
        is_member = (user_id, group_id) in members
        if (
            group_id not in new_ids
            and user_id not in new_users
            and (group_id not in result.merged_groups and user_id not in result.merged_users)
        ):
            # Both sides came in with an earlier import, and so did this membership.
            report.count("group memberships", "already", int(is_member))
            report.count("group admins", "already", int(is_admin))
            continue
        result.memberships.append((user_id, group_id, is_admin))
        report.count("group memberships", "imported", int(is_member))
        report.count("group admins", "imported", int(is_admin))
        if is_admin and not is_member:
            report.note(
                "adjusted",
                "a group admin who was not a member became a member with admin rights "
                "(membership is what lets people manage a group's polls here)",
            )
    pending = source.rows("groups_groupinvitation", ("id",))
    if pending:
        report.count("group invitations", "source", len(pending))
        report.count("group invitations", "skipped", len(pending))
        report.note(
            "dropped",
            f"{len(pending)} pending group invitation(s): invite those people again here",
        )
    if rows:
        report.note("mapped", "groups: name (and a short name from it), members, admins")


def _target_slug(
    old: str, used: set[str], taken: set[str], options: Options, report: Report
) -> str | None:
    """Our link name for `old`; None to skip the poll. Raises nothing; collisions recorded."""
    slug = convert.slug_candidate(old)
    if slug != old:
        report.note(
            "adjusted",
            f"poll link {old}: became {slug} (link names here are 3-80 lowercase letters, "
            "digits and hyphens); the old link redirects",
        )
    base, n = slug, 1
    while slug in used:  # another imported poll took it (names differing only in case)
        n += 1
        slug = convert.with_suffix(base, n)
    if slug != base:
        report.note("adjusted", f"poll link {old}: became {slug}, {base} went to another poll")
    if slug in taken:
        if options.on_slug_collision == "skip":
            report.note(
                "dropped", f"poll {old}: skipped, {slug} is taken here (--on-slug-collision=skip)"
            )
            return None
        if options.on_slug_collision == "rename":
            taken_base = slug
            while slug in taken or slug in used:
                n += 1
                slug = convert.with_suffix(base, n)
            report.note("adjusted", f"poll link {old}: became {slug}, {taken_base} is taken here")
        else:
            raise _SlugCollision(slug)
    used.add(slug)
    return slug


class _SlugCollision(Exception):
    pass


def _plan_polls(source: Source, options: Options, result: Plan) -> None:
    report = result.report
    polls = source.rows("poll_poll", POLL_COLUMNS)
    already = set(LegacyPoll.objects.values_list("old_slug", flat=True))
    now = timezone.now()
    blocked = set(
        DeletedSlug.objects.filter(
            deleted__gt=now - dt.timedelta(days=DeletedSlug.TOMBSTONE_DAYS)
        ).values_list("slug", flat=True)
    )
    taken = set(Poll.objects.values_list("slug", flat=True)) | blocked
    wanted = [p for p in polls if p["url"] not in already]
    # Polls whose link is already one of ours get it unchanged before others are adjusted.
    wanted.sort(key=lambda p: (not convert.slug_is_ours(p["url"]), p["id"]))
    used: set[str] = set()
    collisions: list[str] = []
    slugs: dict[int, str] = {}
    for poll in polls:
        report.count("polls", "source")
        if poll["url"] in already:
            report.count("polls", "already")
    for poll in wanted:
        try:
            slug = _target_slug(poll["url"], used, taken, options, report)
        except _SlugCollision as exc:
            collisions.append(f"{poll['url']} -> {exc}")
            continue
        if slug is None:
            report.count("polls", "skipped")
            continue
        slugs[poll["id"]] = slug
    if collisions:
        result.refusals.append(
            "these polls' link names are already taken here (by a poll, or a poll deleted "
            "less than 180 days ago): "
            + "; ".join(collisions)
            + ". Use --on-slug-collision=rename to give them a suffix (the old links still "
            "redirect) or --on-slug-collision=skip to leave them out"
        )
    ids = set(slugs)
    children = {
        "choices": _by(
            source.rows("poll_choice", ("id", "poll_id", "text", "date", "sort_key", "deleted")),
            "poll_id",
        ),
        "values": _by(
            source.rows(
                "poll_choicevalue",
                ("id", "poll_id", "title", "icon", "color", "weight", "deleted"),
            ),
            "poll_id",
        ),
        "votes": _by(
            source.rows(
                "poll_vote",
                ("id", "poll_id", "name", "anonymous", "user_id", "assigned_by_id",
                 "date_created", "comment"),
            ),
            "poll_id",
        ),
        "comments": _by(
            source.rows("poll_comment", ("id", "poll_id", "text", "date_created", "name", "user_id")),
            "poll_id",
        ),
        "invitations": _by(
            source.rows(
                "invitations_invitation",
                ("id", "poll_id", "user_id", "creator_id", "vote_id", "date_created", "last_email"),
            ),
            "poll_id",
        ),
        "watches": _by(source.rows("poll_pollwatch", ("id", "poll_id", "user_id")), "poll_id"),
    }  # fmt: skip
    cells = _by(
        source.rows("poll_votechoice", ("id", "vote_id", "choice_id", "value_id", "comment")),
        "vote_id",
    )
    for table, key in (
        ("choices", "choices"), ("answer values", "values"), ("votes", "votes"),
        ("comments", "comments"), ("invitations", "invitations"), ("watches", "watches"),
    ):  # fmt: skip
        report.count(table, "source", sum(len(v) for v in children[key].values()))
    report.count("vote choices", "source", sum(len(v) for v in cells.values()))
    done = {p["id"] for p in polls if p["url"] in already}
    for table, key in (
        ("choices", "choices"), ("answer values", "values"), ("votes", "votes"),
        ("comments", "comments"), ("invitations", "invitations"), ("watches", "watches"),
    ):  # fmt: skip
        for poll_id, rows in children[key].items():
            if poll_id not in ids:
                report.count(table, "already" if poll_id in done else "skipped", len(rows))
    for poll_id in set(children["votes"]) - ids:
        n = sum(len(cells.get(v["id"], [])) for v in children["votes"][poll_id])
        report.count("vote choices", "already" if poll_id in done else "skipped", n)
    for poll in sorted(polls, key=lambda p: p["id"]):
        if poll["id"] not in ids:
            continue
        report.count("polls", "imported")
        result.polls.append(
            _plan_poll(
                poll, slugs[poll["id"]], {k: v.get(poll["id"], []) for k, v in children.items()},
                cells, result, options,
            )
        )  # fmt: skip
    report.note(
        "mapped",
        "polls: link name, title, Markdown description, type (universal -> free text), time "
        "zone, due date (-> deadline), creation time, owner and owning group; anonymous_allowed, "
        "public_listening (-> listed on the home page), require_login / require_invitation "
        "(-> who may answer), one_vote_per_user (-> one answer per account), allow_comments, "
        "hide_participants, vote_all (-> every option needs an answer), sorting (-> order of "
        "participants: by time or by name), show_results (complete/never/after vote -> who "
        "sees the results; summary -> only the totals)",
    )


def _plan_poll(
    poll: dict[str, Any],
    slug: str,
    rows: dict[str, list[dict[str, Any]]],
    cells: dict[int, list[dict[str, Any]]],
    result: Plan,
    options: Options,
) -> dict[str, Any]:
    report = result.report
    old = poll["url"]
    kind = KINDS.get(str(poll["type"]))
    if kind is None:
        raise ImportRefused(f"poll {old} has the unknown type {poll['type']!r}")
    zone_name = str(poll.get("timezone_name") or "Europe/Berlin")
    zone = convert.zone_or_none(zone_name)
    if zone is None:
        report.note("adjusted", f"poll {old}: unknown time zone {zone_name!r}, UTC used")
        zone_name = "UTC"
        zone = convert.zone_or_none("UTC")
    assert zone is not None
    visibility, summary_only = SHOW_RESULTS.get(
        str(poll.get("show_results") or "complete"), (None, False)
    )
    if visibility is None:
        report.note(
            "adjusted", f"poll {old}: unknown show_results {poll['show_results']!r}, admins only"
        )
        visibility = Poll.Visibility.ADMIN_ONLY
    sorting = poll.get("sorting") or 0
    if str(sorting) not in ("0", "1"):
        report.note("adjusted", f"poll {old}: unknown sorting {sorting!r}, by time")
    access = AnswerAccess.ANYONE
    if convert.as_bool(poll.get("require_invitation")):
        access = AnswerAccess.INVITED
    elif convert.as_bool(poll.get("require_login")):
        access = AnswerAccess.ACCOUNTS
    for setting, why in DROPPED_SETTINGS.items():
        if setting in poll and (
            SETTING_DEFAULTS[setting] is None or poll[setting] != SETTING_DEFAULTS[setting]
        ):
            value = poll[setting]
            if SETTING_DEFAULTS[setting] is None:
                report.note("dropped", f"{setting}: {why}")
            else:
                report.note("dropped", f"poll {old}: {setting}={value}: {why}")
    anonymous = convert.as_bool(poll.get("anonymous_allowed", True))
    owner = result.user_map.get(poll["user_id"]) if poll.get("user_id") else None
    owner_new = (
        poll.get("user_id") if poll.get("user_id") in {u["id"] for u in result.users} else None
    )
    group = poll.get("group_id")
    fields = {
        "slug": slug,
        "title": str(poll["title"])[:200],
        "description": str(poll["description"] or ""),
        "kind": kind,
        "time_zone": zone_name,
        "deadline": convert.as_datetime(poll["due_date"]),
        "allow_anonymous": anonymous,
        "require_name": not anonymous,
        "results_visibility": visibility,
        "hide_participant_names": convert.as_bool(poll.get("hide_participants")),
        "summary_only": summary_only,
        "require_all_answers": convert.as_bool(poll.get("vote_all", False)),
        "participant_order": (
            Poll.ParticipantOrder.NAME if str(sorting) == "1" else Poll.ParticipantOrder.TIME
        ),
        "allow_comments": convert.as_bool(poll.get("allow_comments", True)),
        "listed_publicly": convert.as_bool(poll.get("public_listening")),
        "answer_access": access,
        "one_answer_per_account": convert.as_bool(poll.get("one_vote_per_user", True)),
        "created": convert.as_datetime(poll["created"]),
    }
    fields["updated"] = fields["created"]
    owned = bool(owner or owner_new or group)

    # The answer scale. Deleted values nobody chose are left out; deleted values with answers
    # are kept (our scale has no deleted state), so those answers still count.
    used_values = Counter(
        c["value_id"] for v in rows["votes"] for c in cells.get(v["id"], []) if c["value_id"]
    )
    scale = []
    for value in rows["values"]:
        deleted = convert.as_bool(value.get("deleted"))
        if deleted and not used_values[value["id"]]:
            result.report.count("answer values", "skipped")
            report.note(
                "dropped",
                "deleted answer values that no vote used (the original no longer offered them)",
            )
            continue
        if deleted:
            report.note(
                "adjusted",
                f"poll {old}: deleted answer value {value['title']!r} kept on the scale "
                f"because {used_values[value['id']]} answer(s) use it",
            )
        colour, colour_ok = convert.colour_for(str(value["color"]))
        icon, icon_ok = convert.icon_for(str(value["icon"]))
        if not icon_ok:
            report.note(
                "adjusted",
                f"poll {old}: icon {value['icon']!r} of {value['title']!r} has no equivalent, "
                "shown as a question mark",
            )
        if not colour_ok:
            report.note("adjusted", f"poll {old}: colour {value['color']!r} unreadable, shown grey")
        weight = convert.as_decimal(value["weight"])
        clamped = convert.clamp_weight(weight)
        if clamped != weight:
            report.note(
                "adjusted",
                f"poll {old}: weight {weight} of {value['title']!r} is {clamped} here "
                "(weights lie between 0 and 1)",
            )
        label = str(value["title"])
        if len(label) > 60:
            report.note(
                "adjusted", f"poll {old}: answer value {label!r} shortened to 60 characters"
            )
        scale.append(
            {
                "source_id": value["id"],
                "label": label[:60],
                "colour": colour,
                "icon": icon,
                "weight": clamped,
            }
        )
        report.count("answer values", "imported")
    report.note(
        "mapped",
        "answer values: title, colour (nearest of the fixed palette by hue), icon (Font "
        "Awesome name -> nearest of ours), weight, order",
    )

    # Options, in the original's order (sort_key, then id), deleted ones kept as removed.
    choices = sorted(rows["choices"], key=lambda c: (c["sort_key"], c["id"]))
    options_out = []
    instants: Counter[dt.datetime] = Counter()
    for order, choice in enumerate(choices):
        item: dict[str, Any] = {
            "source_id": choice["id"],
            "order": order,
            "is_deleted": convert.as_bool(choice["deleted"]),
        }
        if kind == Poll.Kind.TEXT:
            group_name, text, nested = convert.group_and_text(str(choice["text"]))
            if nested:
                report.note(
                    "adjusted",
                    f"poll {old}: nested groups ({choice['text']!r}) shown as one heading "
                    f"{group_name!r}",
                )
            if len(text) > 200 or len(group_name) > 100:
                report.note("adjusted", f"poll {old}: option {choice['text']!r} shortened")
            item.update(text=text[:200], group=group_name[:100])
        else:
            instant = convert.as_datetime(choice["date"])
            if instant is None:
                report.note("dropped", f"poll {old}: a date option without a date")
                result.report.count("choices", "skipped")
                continue
            if kind == Poll.Kind.DATE:
                # Date polls store midnight UTC of the day: the UTC date is the day.
                item["date"] = instant.date()
            else:
                fixed = convert.fix_lmt(instant, zone)
                if fixed is not None:
                    report.note(
                        "adjusted",
                        f"poll {old}: option stored as {instant.astimezone(zone):%Y-%m-%d %H:%M} "
                        f"{zone_name} (shifted by the original's zone change, local mean time) "
                        f"restored to {fixed.astimezone(zone):%Y-%m-%d %H:%M}",
                    )
                    instant = fixed
                item["start"] = instant
                instants[instant] += 1
        options_out.append(item)
        result.report.count("choices", "imported")
    if any(n > 1 for n in instants.values()):
        report.note(
            "adjusted",
            f"poll {old}: two options at the same instant (wall times the original stored "
            "alike around a clock change) are kept as two options",
        )

    # Votes, their cells, and the overall vote comment (as a comment tied to the answer).
    option_ids = {o["source_id"] for o in options_out}
    value_ids = {v["source_id"] for v in scale}
    entries = []
    for vote in rows["votes"]:
        anonymous_vote = convert.as_bool(vote["anonymous"])
        user = vote.get("user_id")
        if vote.get("assigned_by_id"):
            report.note(
                "dropped", "who assigned a name-only vote to an account (the account is kept)"
            )
        votes = []
        for cell in cells.get(vote["id"], []):
            if cell["value_id"] is None:
                report.count("vote choices", "skipped")
                report.note(
                    "dropped",
                    "vote cells without an answer value (from the Dudel import; the original "
                    "did not count them either)",
                )
                continue
            if cell["choice_id"] not in option_ids or cell["value_id"] not in value_ids:
                report.count("vote choices", "skipped")
                report.note("dropped", "vote cells on options or values that were left out")
                continue
            note = str(cell["comment"] or "")
            if len(note) > 200:
                report.note("adjusted", f"poll {old}: answer comments shortened to 200 characters")
            votes.append((cell["choice_id"], cell["value_id"], note[:200]))
            report.count("vote choices", "imported")
        entries.append(
            {
                # Snapshots of logged-in names can start with a space (" (admin)").
                "name": "" if anonymous_vote else str(vote["name"] or "").strip()[:80],
                "user": None if anonymous_vote else user,
                "created": convert.as_datetime(vote["date_created"]),
                "comment": str(vote["comment"] or ""),
                "votes": votes,
            }
        )
        report.count("votes", "imported")
        if str(vote["comment"] or "").strip():
            report.count("vote comments (as comments)", "source")
            report.count("vote comments (as comments)", "imported")
    report.note(
        "mapped",
        "votes: name (empty for anonymous votes), account, time of the last change, answers "
        "with their comments (also on removed options); the overall vote comment becomes a "
        "comment tied to the answer",
    )
    comments = []
    for comment in rows["comments"]:
        comments.append(
            {
                "author": str(comment["name"] or "").strip()[:80],
                "text": str(comment["text"] or ""),
                "created": convert.as_datetime(comment["date_created"]),
            }
        )
        report.count("comments", "imported")
        if comment.get("user_id"):
            report.note(
                "dropped",
                "the account of a comment's author (comments here carry the name only; the "
                "poll's admins can delete them)",
            )
    invitations = []
    for invitation in rows["invitations"]:
        invitations.append(
            {
                "user": invitation["user_id"],
                "created": convert.as_datetime(invitation["date_created"]),
            }
        )
        report.count("invitations", "imported")
    if rows["invitations"]:
        report.note(
            "mapped",
            "invitations: invited account and date (who invited, the vote link and the last "
            "e-mail time are not kept)",
        )
    watches = [{"user": w["user_id"]} for w in rows["watches"]]
    report.count("watches", "imported", len(watches))
    if not owned or options.admin_links_for_all:
        report.ownerless.append((old, slug))
    if not owned:
        report.note(
            "mapped",
            "polls without an owning account or group: a new admin link each (listed below); "
            "the original let anyone edit them, here only holders of that link can",
        )
    return {
        "source_id": poll["id"],
        "old_slug": old,
        "fields": fields,
        "owner": poll.get("user_id"),
        "group": group,
        "owned": owned,
        "scale": scale,
        "options": options_out,
        "entries": entries,
        "comments": comments,
        "invitations": invitations,
        "watches": watches,
    }


__all__ = ["Plan", "plan", "usable_hash"]
