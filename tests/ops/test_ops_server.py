"""Against `bitpoll serve` over real HTTP, on SQLite and PostgreSQL: many concurrent voters,
concurrent edits of one poll, a SIGKILL mid-write, and a backup taken under load.

A request counts as a success only when the server answered with its redirect; every success
must be in the database afterwards, and nothing may be there half-written.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import archives
import pytest
from live import Client, LivePoll, create_poll, poll_state, serving
from opsutil import bitpoll, env_for, written_archive

pytestmark = pytest.mark.slow


# The suite's backend: `BITPOLL_TEST_BACKEND=postgresql pytest` serves from PostgreSQL.
BACKEND = os.environ.get("BITPOLL_TEST_BACKEND", "sqlite").strip().lower() or "sqlite"


@pytest.fixture(params=[BACKEND])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A migrated database of the given backend, and the environment to serve it."""
    data = tmp_path / "data"
    url = None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database(f"live_{secrets.token_hex(4)}")
    environment = env_for(
        data,
        url,
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_WORKERS="2",
        BITPOLL_LOG_LEVEL="warning",
        # Every client here is 127.0.0.1: answers and comments are counted, at limits out
        # of reach (tests/ratelimit checks the limits themselves).
        BITPOLL_RATELIMIT_ANSWERS="1000000/1d",
        BITPOLL_RATELIMIT_ANSWERS_PER_POLL="1000000/1d",
        BITPOLL_RATELIMIT_COMMENTS="1000000/1d",
        BITPOLL_RATELIMIT_COMMENTS_PER_POLL="1000000/1d",
    )
    bitpoll(["migrate", "-v0"], environment)
    return environment


def answer(client: Client, poll: LivePoll, name: str, n: int) -> bool:
    status, headers = client.post(f"/{poll.slug}/answer/", poll.answer_form(name, n))
    return status == 302 and headers.get("location", "").endswith("#you")


def expected_votes(poll: LivePoll, n: int, comment: str = "") -> list[list[object]]:
    return sorted(
        [option, poll.choices[(n + i) % len(poll.choices)], comment]
        for i, option in enumerate(poll.options)
    )


def test_it_stores_every_answer_of_20_concurrent_clients(
    env: dict[str, str], tmp_path: Path
) -> None:
    poll = create_poll(env, "load-twenty")
    errors: list[str] = []

    def voter(c: int) -> list[str]:
        client = Client(server.port)
        client.get(f"/{poll.slug}/")  # the CSRF cookie, as a browser gets it
        stored = []
        for i in range(50):
            name = f"c{c:02d}-{i:02d}"
            try:
                ok = answer(client, poll, name, c + i)
            except OSError as exc:
                ok = False
                errors.append(f"{name}: {exc!r}")
            if ok:
                stored.append(name)
            else:
                errors.append(name)
        return stored

    with serving(env, tmp_path / "serve.log") as server:
        with ThreadPoolExecutor(max_workers=20) as pool:
            succeeded = [name for names in pool.map(voter, range(20)) for name in names]
    assert errors == []
    assert len(succeeded) == 1000
    state = poll_state(env, poll.slug)
    assert state["entry_count"] == 1000
    assert sorted(state["entries"]) == sorted(succeeded)
    for name, votes in state["entries"].items():
        c, i = (int(part) for part in name[1:].split("-"))
        assert votes == expected_votes(poll, c + i), name
    assert state["version"] == 1 + 1000  # each answer bumped the version exactly once


def test_it_loses_no_concurrent_edit_of_one_poll(env: dict[str, str], tmp_path: Path) -> None:
    """Ten participants keep changing their answers while five others comment, all at once."""
    poll = create_poll(env, "edit-race", options=4)
    with serving(env, tmp_path / "serve.log") as server:
        editors = []
        for p in range(10):
            client = Client(server.port)
            client.get(f"/{poll.slug}/")
            assert answer(client, poll, f"p{p}", 0)
            entry_id, token = client.cookies["bitpoll_entry"].strip('"').split(".", 1)
            editors.append((client, f"/{poll.slug}/entry/{entry_id}/{token}/"))

        outcomes: dict[str, list[tuple[int, bool]]] = {}
        posted: list[str] = []
        lock = threading.Lock()

        def edit(p: int) -> None:
            client, url = editors[p]
            for k in range(20):
                form = poll.answer_form(f"p{p}", k, comment=f"rev {k}")
                status, _ = client.post(url, form)
                with lock:
                    outcomes.setdefault(f"p{p}", []).append((k, status == 302))

        def comment(c: int) -> None:
            client = Client(server.port)
            client.get(f"/{poll.slug}/")
            for k in range(20):
                text = f"comment {c}/{k}"
                status, _ = client.post(
                    f"/{poll.slug}/comment/", {"author": f"commenter {c}", "text": text}
                )
                if status == 302:
                    with lock:
                        posted.append(text)

        with ThreadPoolExecutor(max_workers=15) as pool:
            jobs = [pool.submit(edit, p) for p in range(10)]
            jobs += [pool.submit(comment, c) for c in range(5)]
            for job in jobs:
                job.result()

    failed = [(who, k) for who, runs in outcomes.items() for k, ok in runs if not ok]
    assert failed == []
    assert len(posted) == 100
    state = poll_state(env, poll.slug)
    for p in range(10):
        assert state["entries"][f"p{p}"] == expected_votes(poll, 19, "rev 19")
    assert state["comments"] == sorted(posted)
    assert state["version"] == 1 + 10 + 200 + 100


def test_it_keeps_every_confirmed_answer_across_a_sigkill(
    env: dict[str, str], tmp_path: Path
) -> None:
    poll = create_poll(env, "crash-test")
    confirmed: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def voter(c: int) -> None:
        client = Client(server.port)
        try:
            client.get(f"/{poll.slug}/")
            for i in range(200):  # bounded: the kill comes long before the end
                name = f"k{c:02d}-{i:03d}"
                if not answer(client, poll, name, c + i):
                    return
                with lock:
                    confirmed.append(name)
                    if len(confirmed) >= 150:
                        enough.set()
        except OSError:
            return  # the server is gone: what it confirmed before is what counts

    with serving(env, tmp_path / "serve.log") as server:
        threads = [threading.Thread(target=voter, args=(c,)) for c in range(10)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=300), "the voters never got going"
        server.kill()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        assert server.process is not None and server.process.returncode != 0

        if env["BITPOLL_DATABASE_URL"].startswith("sqlite"):
            db = sqlite3.connect(Path(env["BITPOLL_DATA_DIR"]) / "bitpoll.sqlite3")
            try:
                assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            finally:
                db.close()

        server.start()  # restart on the same database
        after = Client(server.port)
        after.get(f"/{poll.slug}/")
        assert answer(after, poll, "after-restart", 0)

    state = poll_state(env, poll.slug)
    assert set(confirmed) <= set(state["entries"])
    assert len(confirmed) >= 150
    for name, votes in state["entries"].items():
        # Whatever is stored is whole: no entry lost some of its votes in the crash.
        assert len(votes) == len(poll.options), name
    assert state["entry_count"] == len(state["entries"])


def test_it_backs_up_a_consistent_state_while_10_clients_answer(
    env: dict[str, str], tmp_path: Path
) -> None:
    poll = create_poll(env, "backup-load")
    confirmed: list[str] = []
    lock = threading.Lock()
    started = threading.Event()
    errors: list[str] = []

    def voter(c: int) -> None:
        client = Client(server.port)
        client.get(f"/{poll.slug}/")
        for i in range(40):
            name = f"b{c:02d}-{i:02d}"
            if answer(client, poll, name, c + i):
                with lock:
                    confirmed.append(name)
                    if len(confirmed) >= 50:
                        started.set()
            else:
                errors.append(name)

    with serving(env, tmp_path / "serve.log") as server:
        with ThreadPoolExecutor(max_workers=10) as pool:
            jobs = [pool.submit(voter, c) for c in range(10)]
            assert started.wait(timeout=300), "the voters never got going"
            with lock:
                before = len(confirmed)
            archive = written_archive(bitpoll(["backup", "--output", str(tmp_path)], env))
            for job in jobs:
                job.result()
    assert errors == []
    assert len(confirmed) == 400

    restored = env_for(tmp_path / "restored")
    bitpoll(["restore", str(archive)], restored)
    state = poll_state(restored, poll.slug)
    assert before <= state["entry_count"] <= 400
    assert set(state["entries"]) <= set(confirmed)
    for name, votes in state["entries"].items():
        c, i = (int(part) for part in name[1:].split("-"))
        assert votes == expected_votes(poll, c + i), name  # every answer whole or absent
    # The version counter was read in the same snapshot as the entries.
    assert state["version"] == 1 + state["entry_count"]
    counts = archives.members(archive)[0]["counts"]
    assert counts["polls.vote"] == 3 * state["entry_count"]
