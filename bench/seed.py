"""Seed the benchmark polls through the real models and services; print their slugs as JSON.

Run with the same BITPOLL_* environment as the server: `python bench/seed.py`. Name sizes to
seed only those (and the answer copies): `python bench/seed.py small big`.
`--users N` (accounts on) also creates N users, each with a display name and a logged-in
session, printed as "session-1" ... "session-N": the session cookies' values.
"""

from __future__ import annotations

import json
import os
import random
import sys

SIZES = {
    "small": (5, 5),
    "big": (30, 200),
    "huge": (60, 2000),
    # The largest poll the app allows answers for: 100 options, the cap of 5,000 answers.
    "max": (100, 5000),
}
# Answers go round-robin to copies of the small poll, so that none of them reaches the cap of
# 5,000 answers per poll during a run (at 500 answers a second, a single poll would).
ANSWER_COPIES = 4


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bitpoll.settings")
    import django

    django.setup()
    import datetime as dt

    from django.db import transaction

    from bitpoll.polls import services
    from bitpoll.polls.options import ParsedOption

    rng = random.Random(20261125)  # the same data on every run
    # One answer in a hundred carries a comment, as on a busy real poll.
    slugs: dict[str, str] = {}
    sizes = list(sys.argv[1:])
    if "--users" in sizes:  # --users N, read below
        del sizes[sizes.index("--users") : sizes.index("--users") + 2]
    only = set(sizes) or set(SIZES)
    unknown = only - set(SIZES)
    if unknown:
        sys.exit(f"unknown sizes: {', '.join(sorted(unknown))} (known: {', '.join(SIZES)})")
    polls = [(size, size, shape) for size, shape in SIZES.items() if size in only] + [
        (f"answer-{i + 1}", "small", SIZES["small"]) for i in range(ANSWER_COPIES)
    ]
    for key, size, (n_options, n_answers) in polls:
        # The huge poll is one of days, so that it has a calendar export (bench/run.py's
        # ICS figure); the others are text options in groups.
        kind = "date" if size == "huge" else "text"
        options = [
            ParsedOption(date=dt.date(2030, 1, 1) + dt.timedelta(days=i))
            if kind == "date"
            else ParsedOption(text=f"Option {i + 1}", group=f"Group {i // 10 + 1}")
            for i in range(n_options)
        ]
        poll, admin_token = services.create_poll(
            title=f"Benchmark {size}: {n_options} options, {n_answers} answers",
            description="Which of these suits you? *Markdown* in the description.",
            kind=kind,
            time_zone="Europe/Berlin",
            options=options,
            slug=f"bench-{key}",
        )
        option_ids = list(poll.options.values_list("pk", flat=True))
        choice_ids = list(poll.choices.values_list("pk", flat=True))
        with transaction.atomic():
            for number in range(n_answers):
                answers = {
                    oid: services.Answer(
                        choice_id=rng.choice(choice_ids),
                        comment="works if late" if rng.random() < 0.01 else "",
                    )
                    for oid in option_ids
                }
                services.add_entry(poll, f"Participant {number + 1}", answers)
        slugs[key] = poll.slug
        if not key.startswith("answer-"):
            slugs[f"admin-{key}"] = admin_token
    users = int(sys.argv[sys.argv.index("--users") + 1]) if "--users" in sys.argv else 0
    for number, session_key in enumerate(logged_in_sessions(users), start=1):
        slugs[f"session-{number}"] = session_key
    json.dump(slugs, sys.stdout)


def logged_in_sessions(count: int) -> list[str]:
    """`count` users, each logged in with a session of its own, as the login form leaves it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    from bitpoll.accounts.models import Profile

    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = "django.contrib.auth.backends.ModelBackend"
    if backend not in settings.AUTHENTICATION_BACKENDS:
        backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = []
    for number in range(1, count + 1):
        user = get_user_model().objects.create_user(
            f"member{number}", f"member{number}@example.org", None
        )
        Profile.objects.create(user=user, display_name=f"Member number {number}")
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)  # type: ignore[union-attr]
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(str(session.session_key))
    return keys


if __name__ == "__main__":
    main()
