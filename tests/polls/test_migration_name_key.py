"""Migration polls.0004 keys the answers already stored, oldest first, without failing on duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("polls", "0003_poll_listed_publicly")]
AFTER = [("polls", "0004_entry_name_key")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_it_keys_existing_answers_and_keeps_duplicates() -> None:
    apps = _migrate(BEFORE)
    Poll = apps.get_model("polls", "Poll")
    Entry = apps.get_model("polls", "Entry")
    one = Poll.objects.create(slug="one-name", title="t", one_answer_per_name=True)
    many = Poll.objects.create(slug="many-names", title="t")
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for i, name in enumerate(["Alice", "alice\u200b", "Bob", ""]):
        Entry.objects.create(poll=one, name=name, created=start + dt.timedelta(minutes=i))
    Entry.objects.create(poll=many, name="Alice", created=start)
    try:
        apps = _migrate(AFTER)
        Entry = apps.get_model("polls", "Entry")
        keys = list(Entry.objects.order_by("poll__slug", "created").values_list("name", "name_key"))
        assert keys == [
            ("Alice", ""),
            ("Alice", "alice"),
            ("alice\u200b", ""),
            ("Bob", "bob"),
            ("", ""),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
