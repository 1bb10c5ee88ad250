"""`bitpoll serve` skips Django's migration loader when every migration is recorded."""

from __future__ import annotations

import pytest
from django.db import connection

from bitpoll.ops.schema import all_migrations_recorded

pytestmark = pytest.mark.django_db


def test_it_sees_a_fully_migrated_database_as_such() -> None:
    assert all_migrations_recorded()


def test_it_notices_a_migration_that_is_not_recorded() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s",
            ["polls", "0001_initial"],
        )
    assert not all_migrations_recorded()


def test_it_says_no_without_the_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_migrations")
    assert not all_migrations_recorded()
