"""The requests that mail a poll's 1,000 people: deciding, withdrawing, inviting.

Usage: python bench/finalize.py [--recipients 1000] [--rounds 5] [--postgres]

In one process, with Django's test client (so that each figure is the request's own work,
with no network and no other process), on a throwaway SQLite database (and with --postgres
a throwaway PostgreSQL cluster, tests/pgcluster.py): seeds a date/time poll whose decision
reaches `recipients` addresses (a quarter each: participants who left an address, watchers,
e-mail invitees, members of an invited group), then prints the time of

- the finalize POST (…/decide/), `rounds` times, alternating between two options (each
  round mails everyone again, as a changed decision does);
- the withdrawing POST (…/undecide/);
- inviting `recipients` e-mail addresses at once (…/invitations/);
- inviting a group of `recipients` members on the access page (…/access/invite/);

with how many outbox rows each queued. Target: the finalize request < 150 ms for 1,000
recipients on a quiet machine. Mail is configured but nothing is sent: the sender's side is
bench/mail.py.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent


def setup(tmp: Path, database_url: str) -> None:
    os.environ.update(
        BITPOLL_DATA_DIR=str(tmp / "data"),
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_EMAIL_URL="smtp://127.0.0.1:9",  # configured, never reached
        BITPOLL_BASE_URL="https://polls.example.org",
        BITPOLL_RATELIMIT_ENABLED="false",
        BITPOLL_ACCOUNTS_ENABLED="true",
        BITPOLL_ALLOWED_HOSTS="polls.example.org",
        BITPOLL_LOG_LEVEL="warning",
        DJANGO_SETTINGS_MODULE="bitpoll.settings",
    )
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    if database_url:
        os.environ["BITPOLL_DATABASE_URL"] = database_url
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def seed(recipients: int, group: str) -> tuple[Any, str]:
    """A date/time poll with `recipients` distinct addresses to tell of its decision."""
    import zoneinfo

    from django.db import transaction

    from bitpoll.polls import services, tokens
    from bitpoll.polls.models import Entry, Invitation, Watch
    from bitpoll.polls.options import parse_lines

    quarter = recipients // 4
    with transaction.atomic():
        poll, token = services.create_poll(
            title="Team offsite, with a title long enough to fold the calendar's lines",
            description="",
            kind="datetime",
            time_zone="Europe/Berlin",
            options=parse_lines(
                "datetime",
                "2030-05-04 12:00-13:00\n2030-05-05 12:30-13:30",
                zoneinfo.ZoneInfo("Europe/Berlin"),
            ),
        )
        Entry.objects.bulk_create(
            Entry(
                poll=poll,
                name=f"Participant {n}",
                name_key=f"participant {n}",
                edit_token_hash=tokens.hash_token(f"entry-{n}"),
                email=f"participant{n}@example.org",
                language="de" if n % 3 == 0 else "en",
            )
            for n in range(quarter)
        )
        Watch.objects.bulk_create(
            Watch(poll=poll, email=f"watcher{n}@example.org", token_hash=f"{n:064x}")
            for n in range(quarter)
        )
        Invitation.objects.bulk_create(
            Invitation(poll=poll, email=f"invitee{n}@example.org", token_hash=f"{n:064x}")
            for n in range(quarter)
        )
        if recipients:
            invited = _group(group, recipients - 3 * quarter)
            Invitation.objects.create(poll=poll, group=invited, token_hash="g" * 64)
    return poll, token


def _group(slug: str, members: int) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from bitpoll.accounts.models import Group, Membership

    password = make_password(None)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{slug}-member{n}", email=f"{slug}.member{n}@example.org", password=password
        )
        for n in range(members)
    )
    group = Group.objects.create(name=slug.title(), slug=slug)
    Membership.objects.bulk_create(Membership(group=group, user=u) for u in users)
    return group


def queued() -> int:
    """Mails queued: outbox rows, and recipients of fan-outs not written out yet."""
    from bitpoll.mail import outbox
    from bitpoll.mail.models import Message

    # (Code from before fan-outs has no pending(): the bench also measures it, for comparison.)
    pending = getattr(outbox, "pending", lambda: (0, 0))
    return Message.objects.count() + pending()[1]


def timed(client: Any, path: str, data: dict[str, Any]) -> tuple[float, int]:
    before = queued()
    started = time.perf_counter()
    body = urlencode(data, doseq=True)
    response = client.post(path, body, content_type="application/x-www-form-urlencoded")
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, (path, response.status_code, response.content[:500])
    return elapsed, queued() - before


def expand() -> None:
    """The sender's part: write out the stored fan-outs as outbox rows, chunk by chunk."""
    from bitpoll.mail import outbox

    fanouts, waiting = outbox.pending() if hasattr(outbox, "pending") else (0, 0)
    if not fanouts:
        print("sender: nothing to write out (written in the requests)")
        return
    chunks: list[float] = []
    while True:
        started = time.perf_counter()
        if not outbox.expand(chunk=outbox.EXPAND_CHUNK, limit=1):
            break
        chunks.append((time.perf_counter() - started) * 1000)
    print(
        f"sender: wrote out {waiting} mails of {fanouts} fan-outs in {sum(chunks):.0f} ms, "
        f"{len(chunks)} transactions of up to {outbox.EXPAND_CHUNK} recipients, "
        f"longest {max(chunks):.0f} ms"
    )


def measure(recipients: int, rounds: int, label: str) -> None:
    from django.test import Client

    poll, token = seed(recipients, "offsite")
    admin = poll.admin_url(token)
    first, second = poll.options.order_by("start")
    client = Client(HTTP_HOST="polls.example.org", secure=True)
    client.get(admin)  # warm up: templates, URL resolvers, the first connection
    times, count = [], 0
    for n in range(rounds):
        option = first if n % 2 == 0 else second
        elapsed, count = timed(client, admin + "decide/", {"options": [str(option.pk)]})
        times.append(elapsed)
    assert count == recipients, (count, recipients)
    print(f"\n== finalize: {recipients} recipients, {label} ==")
    print(
        f"finalize POST: median {statistics.median(times):.0f} ms, "
        f"min {min(times):.0f} ms, max {max(times):.0f} ms over {rounds} ({count} mails each)"
    )
    elapsed, count = timed(client, admin + "undecide/", {})
    print(f"withdraw POST: {elapsed:.0f} ms ({count} mails)")
    expand()

    fresh, fresh_token = seed(0, "")
    # The form takes up to 200 addresses at once: as many batches as that needs.
    batches = []
    for start in range(0, recipients, 200):
        addresses = "\n".join(
            f"guest{n}@example.org" for n in range(start, min(recipients, start + 200))
        )
        batches.append(
            timed(client, fresh.admin_url(fresh_token) + "invitations/", {"addresses": addresses})
        )
    print(
        f"invite {recipients} addresses: {len(batches)} POSTs of up to 200, "
        f"max {max(t for t, _ in batches):.0f} ms, total {sum(t for t, _ in batches):.0f} ms "
        f"({sum(n for _, n in batches)} mails)"
    )
    _group("crowd", recipients)
    elapsed, count = timed(
        client, fresh.admin_url(fresh_token) + "access/invite/", {"invitee": "crowd"}
    )
    print(f"invite a group of {recipients} POST: {elapsed:.0f} ms ({count} mails)")
    expand()
    median = statistics.median(times)
    print(
        "target (finalize < 150 ms for 1,000): "
        + ("met" if median < 150 * recipients / 1000 else "NOT met")
        + f" ({median:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bitpoll-bench-finalize-"))
    cluster = None
    database_url = ""
    if args.postgres:
        sys.path.insert(0, str(HERE.parent / "tests"))
        from pgcluster import Cluster  # type: ignore[import-not-found]

        cluster = Cluster().start()
        database_url = cluster.create_database("bench")
    try:
        setup(tmp, database_url)
        measure(args.recipients, args.rounds, "PostgreSQL" if args.postgres else "SQLite")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
