"""The schema checks on the way to serving or migrating load Django's migrations once.

A loader links every migration into a graph and reads the applied ones from the database
(the first also imports the files): require_current, serve's start and `migrate` each check
for a newer schema and read the pending plan from one MigrationExecutor's loader instead of
building one for each.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from bitpoll.core.management.commands import serve
from bitpoll.ops import schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[MigrationLoader]:
    """Every migration graph built while the test runs, one entry per build."""
    built: list[MigrationLoader] = []
    original = MigrationLoader.build_graph

    def build_graph(self: MigrationLoader) -> None:
        built.append(self)
        original(self)

    monkeypatch.setattr(MigrationLoader, "build_graph", build_graph)
    return built


@pytest.fixture
def past_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when a migration file is new: the directory listing cannot answer, the loader must."""
    monkeypatch.setattr(schema, "all_migrations_recorded", lambda: False)


def test_a_side_command_checks_the_schema_with_one_load(
    loads: list[MigrationLoader], past_the_shortcut: None
) -> None:
    schema.require_current("send-mail")  # the test database is migrated: nothing pending
    assert len(loads) == 1


def test_serve_checks_the_schema_and_reads_the_plan_with_one_load(
    loads: list[MigrationLoader], past_the_shortcut: None
) -> None:
    serve.migrate_if_needed()  # nothing pending, so no `migrate` either
    assert len(loads) == 1


def test_migrate_loads_once_before_djangos_own_command(
    loads: list[MigrationLoader], settings: object
) -> None:
    settings.SNAPSHOT_KEEP = 3  # type: ignore[attr-defined]
    call_command("migrate", verbosity=0)
    # Bitpoll's check for a newer schema and its plan for the snapshot, then Django's migrate.
    assert len(loads) == 2
