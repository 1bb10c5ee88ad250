"""Data for the round-trip tests: every poll type, custom scales, comments, deleted options,
anonymous answers and text no encoding should mangle.

Run inside a Bitpoll process (`bitpoll shell -c "<this file>" + "seed()"`), or call seed().
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

UNICODE = "Ünïcødé ✓ 🗓 日本語 עברית \"quotes\" 'single' \\ back\nslash & <tag> \t tab"


def seed() -> None:
    from django.contrib.auth.models import Group, Permission, User

    from bitpoll.polls.models import Choice, Comment, Entry, Option, Poll, Vote

    organisers = Group.objects.create(name="Organisatorinnen ✓")
    organisers.permissions.set(Permission.objects.filter(codename__in=["add_user", "view_user"]))
    alice = User.objects.create_user("alice", "alice@example.org", "correct horse")
    alice.first_name = UNICODE[:20]
    alice.save()
    alice.groups.add(organisers)
    alice.user_permissions.add(
        Permission.objects.get(codename="change_group", content_type__app_label="auth")
    )
    User.objects.create_user("bob", "bob@example.org", "battery staple")

    utc = dt.UTC
    berlin = dt.timezone(dt.timedelta(hours=1))

    def poll(slug: str, kind: str, **extra: object) -> Poll:
        return Poll.objects.create(
            slug=slug,
            title=f"{kind} {UNICODE[:30]}",
            description=f"**{UNICODE}**",
            kind=kind,
            admin_token_hash="a" * 64,
            created=dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=utc),
            updated=dt.datetime(2026, 1, 2, 3, 4, 6, 654321, tzinfo=utc),
            **extra,
        )

    def scale(p: Poll, steps: list[tuple[str, str, str, str]]) -> list[Choice]:
        return [
            Choice.objects.create(
                poll=p, label=label, colour=colour, icon=icon, weight=Decimal(w), order=i
            )
            for i, (label, colour, icon, w) in enumerate(steps)
        ]

    default = [("Yes", "g", "y", "1"), ("If need be", "a", "m", "0.5"), ("No", "r", "x", "0")]
    custom = [
        ("Gern 😀", "t", "h", "1"),
        ("Geht", "b", "s", "0.75"),
        ("Notfalls", "p", "c", "0.125"),
        ("Nein", "n", "d", "0"),
    ]

    dates = poll("team-dates", "date")
    date_choices = scale(dates, default)
    date_options = [
        Option.objects.create(poll=dates, date=dt.date(2026, 3, day), order=day)
        for day in (1, 2, 3, 4)
    ]
    date_options[2].is_deleted = True
    date_options[2].save()

    times = poll(
        "kick-off-times",
        "datetime",
        time_zone="Europe/Berlin",
        deadline=dt.datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=utc),
    )
    time_choices = scale(times, [("Yes", "g", "y", "1"), ("No", "r", "x", "0")])
    time_options = [
        Option.objects.create(
            poll=times,
            start=dt.datetime(2026, 3, 1, 9, 30, tzinfo=berlin),
            end=dt.datetime(2026, 3, 1, 11, 0, tzinfo=berlin),
            order=1,
        ),
        Option.objects.create(
            poll=times, start=dt.datetime(2026, 3, 2, 14, 0, 0, 1, tzinfo=berlin), order=2
        ),
        Option.objects.create(
            poll=times,
            start=dt.datetime(2026, 3, 3, 8, 0, tzinfo=berlin),
            order=3,
            is_deleted=True,
        ),
    ]

    texts = poll(
        "lunch-place",
        "text",
        is_closed=True,
        require_name=False,
        allow_anonymous=True,
        results_visibility="after_answer",
        hide_participant_names=True,
    )
    text_choices = scale(texts, custom)
    text_options = [
        Option.objects.create(poll=texts, text=text, group=group, order=i)
        for i, (group, text) in enumerate(
            [("Pizza", "Napoli / Neapel"), ("Pizza", "Roma"), ("", UNICODE[:40]), ("Thai", "Gone")]
        )
    ]
    text_options[3].is_deleted = True
    text_options[3].save()

    for p, choices, options in (
        (dates, date_choices, date_options),
        (times, time_choices, time_options),
        (texts, text_choices, text_options),
    ):
        names = ["Zoë", "", "Ωmega", "bob"] if p is texts else ["Zoë", "Ωmega", "bob"]
        for n, name in enumerate(names):
            entry = Entry.objects.create(
                poll=p,
                name=name,
                edit_token_hash=f"{n:064x}",
                created=dt.datetime(2026, 1, 5, 10, n, 0, 500000 + n, tzinfo=utc),
                updated=dt.datetime(2026, 1, 5, 10, n, 1, tzinfo=utc),
            )
            for i, option in enumerate(options):
                Vote.objects.create(
                    entry=entry,
                    option=option,
                    choice=choices[(n + i) % len(choices)],
                    comment=UNICODE[: 5 * i],
                )
            Comment.objects.create(
                poll=p,
                entry=entry if n % 2 == 0 else None,
                author=name or "Anonymous",
                text=f"{UNICODE} #{n}",
                edit_token_hash=f"{n + 100:064x}",
                created=dt.datetime(2026, 1, 6, 10, n, tzinfo=utc),
            )
