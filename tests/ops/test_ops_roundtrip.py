"""Round trip across databases: SQLite -> PostgreSQL -> SQLite gives the same canonical dump,
with polls of every type, custom scales, comments, deleted options and unicode text."""

from __future__ import annotations

from pathlib import Path

import archives
from opsutil import bitpoll, env_for, written_archive

import pgcluster

SEED = Path(__file__).with_name("seed_polls.py").read_text(encoding="utf-8") + "\nseed()\n"


def test_it_round_trips_sqlite_postgresql_sqlite(
    pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    first = env_for(tmp_path / "first")
    bitpoll(["migrate", "-v0"], first)
    bitpoll(["shell", "-c", SEED], first)
    from_sqlite = written_archive(bitpoll(["backup"], first))

    middle = env_for(tmp_path / "pg", pg_cluster.create_database("roundtrip"))
    bitpoll(["restore", str(from_sqlite)], middle)
    from_postgresql = written_archive(bitpoll(["backup"], middle))

    last = env_for(tmp_path / "last")
    bitpoll(["restore", str(from_postgresql)], last)
    back_in_sqlite = written_archive(bitpoll(["backup"], last))

    manifests = [archives.members(p)[0] for p in (from_sqlite, from_postgresql, back_in_sqlite)]
    dumps = [archives.members(p)[1] for p in (from_sqlite, from_postgresql, back_in_sqlite)]
    assert [m["database_vendor"] for m in manifests] == ["sqlite", "postgresql", "sqlite"]
    assert dumps[0] == dumps[1] == dumps[2]
    assert manifests[0]["counts"] == manifests[1]["counts"] == manifests[2]["counts"]
    assert manifests[0]["migrations"] == manifests[2]["migrations"]

    # The dump holds what was seeded, not an empty or partial database.
    counts = manifests[0]["counts"]
    assert counts["polls.poll"] == 3
    assert counts["polls.choice"] == 3 + 2 + 4
    assert counts["polls.comment"] == 10
    rows = archives.rows(from_postgresql)
    kinds = {r["fields"]["kind"] for r in rows if r["model"] == "polls.poll"}
    assert kinds == {"date", "datetime", "text"}
    deleted = [r for r in rows if r["model"] == "polls.option" and r["fields"]["is_deleted"]]
    assert len(deleted) == 3
    assert any("日本語" in r["fields"]["text"] for r in rows if r["model"] == "polls.comment")
    starts = {r["fields"]["start"] for r in rows if r["model"] == "polls.option"}
    assert "2026-03-02T13:00:00.000001+00:00" in starts  # microseconds survive, in UTC

    # PostgreSQL's sequences continue after the restored ids: new rows get fresh ones.
    created = bitpoll(
        [
            "shell",
            "-c",
            "from bitpoll.polls.models import Poll; "
            "print(Poll.objects.create(slug='after-restore', title='t', admin_token_hash='b' * 64)"
            ".pk > max(Poll.objects.exclude(slug='after-restore').values_list('pk', flat=True)))",
        ],
        middle,
    )
    assert created.stdout.splitlines()[-1] == "True"
