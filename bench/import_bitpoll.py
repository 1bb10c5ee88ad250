"""Import speed: `bitpoll import-bitpoll` on a source database with 20,000 votes.

Usage: python bench/import_bitpoll.py [--polls 20] [--votes-per-poll 1000] [--choices 10]
       [--upstream ../shared/upstream]

Builds the source from a copy of the original Bitpoll's sample database (its schema and
migration state, ../shared/upstream beside the repository): it adds `--polls` datetime polls
with `--choices` options each, the four default answer values, and `--votes-per-poll` votes that
answer every option, half of them by accounts. Then, in a fresh data directory on SQLite,
runs `bitpoll migrate` and times `bitpoll import-bitpoll` (a dry run, then the import, then a
second run that must import nothing). Prints the figures; the target is under 60 s for the
import of 20,000 votes on a 2-core machine (issue 15).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
HERE = Path(__file__).resolve().parent


def build_source(sample: Path, target: Path, polls: int, votes: int, choices: int) -> int:
    shutil.copyfile(sample, target)
    target.chmod(0o600)
    rng = random.Random(15)
    db = sqlite3.connect(target)
    users = [r[0] for r in db.execute("SELECT id FROM base_bitpolluser")]
    start = dt.datetime(2026, 5, 4, 8, 0)
    total = 0
    for p in range(polls):
        cur = db.execute(
            "INSERT INTO poll_poll (title, description, url, type, created, due_date, "
            "anonymous_allowed, public_listening, require_login, require_invitation, "
            "show_results, send_mail, one_vote_per_user, allow_comments, show_invitations, "
            "timezone_name, vote_all, use_user_timezone, sorting, hide_participants, "
            "show_score_in_summary, allow_unauthenticated_vote_changes) VALUES "
            "(?, '', ?, 'datetime', '2026-04-01 10:00:00.123456', NULL, 1, 0, 0, 0, "
            "'complete', 0, 0, 1, 1, 'Europe/Berlin', 0, 0, 0, 0, 0, 1)",
            (f"Bench poll {p}", f"bench_Poll_{p}"),
        )
        poll_id = cur.lastrowid
        choice_ids = []
        for c in range(choices):
            when = start + dt.timedelta(days=c // 3, hours=3 * (c % 3))
            cur = db.execute(
                "INSERT INTO poll_choice (text, date, sort_key, deleted, poll_id) "
                "VALUES ('', ?, ?, 0, ?)",
                (when.strftime("%Y-%m-%d %H:%M:%S"), c, poll_id),
            )
            choice_ids.append(cur.lastrowid)
        value_ids = []
        for title, icon, color, weight in (
            ("yes", "check", "90db46", 1), ("no", "ban", "c43131", 0),
            ("maybe", "question", "ffe800", 0.5), ("rather not", "thumbs-down", "B0E", 0.25),
        ):  # fmt: skip
            cur = db.execute(
                "INSERT INTO poll_choicevalue (title, icon, color, weight, poll_id, deleted) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                (title, icon, color, weight, poll_id),
            )
            value_ids.append(cur.lastrowid)
        for v in range(votes):
            user = rng.choice(users) if v % 2 else None
            cur = db.execute(
                "INSERT INTO poll_vote (name, anonymous, date_created, comment, poll_id, "
                "user_id, assigned_by_id) VALUES (?, 0, ?, ?, ?, ?, NULL)",
                (
                    f"Voter {v}",
                    f"2026-04-{1 + v % 28:02d} 12:{v % 60:02d}:{v % 60:02d}.{v:06d}",
                    "see you" if v % 10 == 0 else "",
                    poll_id,
                    user,
                ),
            )
            vote_id = cur.lastrowid
            db.executemany(
                "INSERT INTO poll_votechoice (comment, choice_id, value_id, vote_id) "
                "VALUES ('', ?, ?, ?)",
                [(c, rng.choice(value_ids), vote_id) for c in choice_ids],
            )
            total += 1
    db.commit()
    db.close()
    return total


def bitpoll(env: dict[str, str], *args: str) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bitpoll", *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"bitpoll {args[0]} failed:\n{done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--votes-per-poll", type=int, default=1000)
    parser.add_argument("--choices", type=int, default=10)
    parser.add_argument("--upstream", type=Path, default=HERE.parent.parent / "shared" / "upstream")
    args = parser.parse_args()
    sample = args.upstream / "bitpoll-upstream-sample.sqlite3"
    if not sample.is_file():
        sys.exit(f"{sample} not found: pass --upstream with the original's sample database")
    with tempfile.TemporaryDirectory(prefix="bitpoll-import-bench-") as tmp:
        root = Path(tmp)
        source = root / "original.sqlite3"
        began = time.perf_counter()
        votes = build_source(sample, source, args.polls, args.votes_per_poll, args.choices)
        print(f"source: {votes} votes, {votes * args.choices} vote choices in {args.polls} "
              f"polls, built in {time.perf_counter() - began:.1f} s")  # fmt: skip
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_")},
            "BITPOLL_DATA_DIR": str(root / "data"),
            "BITPOLL_SECRET_KEY": secrets.token_urlsafe(48),
        }
        bitpoll(env, "migrate", "-v0")
        url = f"sqlite:///{source}"
        dry, _ = bitpoll(env, "import-bitpoll", url, "--dry-run")
        real, report = bitpoll(env, "import-bitpoll", url)
        again, second = bitpoll(env, "import-bitpoll", url)
        imported = re.search(r"^votes\s+\d+\s+(\d+)", report, re.M)
        print(f"dry run:        {dry:6.1f} s")
        print(f"import:         {real:6.1f} s ({imported.group(1) if imported else '?'} votes)")
        print(f"second run:     {again:6.1f} s (imports nothing: {'Nothing to import' in second})")
        verdict = "met" if real < TARGET_SECONDS else "NOT met"
        print(f"target: import of {votes} votes under {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
