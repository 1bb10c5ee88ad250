"""Every migration keeps the previous release working: expand now, contract one release later.

During a rolling upgrade the previous release serves the schema the new one migrated, so a
migration may add (tables, nullable columns, columns with a database default, indexes) but not
take away or tighten what the previous release writes. django-migration-linter reads the SQL
each migration runs on PostgreSQL and reports what breaks that; a migration it reports must be
listed in REVIEWED with the reason it is safe anyway, or be split (expand now, contract later).
"""

from __future__ import annotations

import os

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.skipif(
    os.environ.get("BITPOLL_TEST_BACKEND", "").strip().lower() != "postgresql",
    reason="the linter reads the SQL PostgreSQL would run (on SQLite every table rebuild looks "
    "like a new NOT NULL column): the run with BITPOLL_TEST_BACKEND=postgresql lints",
)

FIRST_RELEASE = "before the first release (0.1.0): no older release serves beside it"

# (app, migration): why the reported incompatibility is safe. Add new entries at the end.
REVIEWED: dict[tuple[str, str], str] = {
    ("polls", "0003_poll_listed_publicly"): FIRST_RELEASE,
    ("polls", "0004_entry_name_key"): FIRST_RELEASE,
    ("polls", "0007_poll_require_all_answers"): FIRST_RELEASE,
    ("polls", "0008_participant_order_summary_only"): FIRST_RELEASE,
    ("polls", "0010_accounts_ui"): FIRST_RELEASE,
    ("polls", "0011_mail"): FIRST_RELEASE,
}


def bitpoll_apps() -> list[str]:
    return sorted(c.label for c in apps.get_app_configs() if c.name.startswith("bitpoll."))


def test_every_migration_is_backward_compatible_or_reviewed(db: None) -> None:
    from django_migration_linter import MigrationLinter
    from django_migration_linter.migration_linter import MessageType

    reported: dict[tuple[str, str], str] = {}

    class Linter(MigrationLinter):  # type: ignore[misc]
        def print_linting_msg(
            self, app_label: str, name: str, msg: str, lint_result: MessageType
        ) -> None:
            if lint_result == MessageType.ERROR:
                reported[(app_label, name)] = msg

    linter = Linter(no_cache=True, include_apps=bitpoll_apps(), no_output=True)
    linter.lint_all_migrations()
    assert linter.nb_total >= 8, "the linter saw Bitpoll's migrations"
    unreviewed = sorted(set(reported) - set(REVIEWED))
    assert not unreviewed, (
        f"not backward compatible with the previous release: {unreviewed}; split them "
        "(expand now, contract one release later) or list them in REVIEWED with the reason"
    )


def test_the_reviewed_list_names_real_migrations() -> None:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    assert set(REVIEWED) <= set(graph.nodes), sorted(set(REVIEWED) - set(graph.nodes))
