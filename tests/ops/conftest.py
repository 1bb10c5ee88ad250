"""Fixtures for the backup and restore tests: personas and a PostgreSQL cluster when possible."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import pgcluster

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with pgcluster.Cluster() as cluster:
        yield cluster


@pytest.fixture
def alice(db: None) -> User:
    """Owns things: in a group with permissions, with a permission of her own, unicode name."""
    from django.contrib.auth.models import Group, Permission, User

    organisers = Group.objects.create(name="Organisatorinnen ✓")
    organisers.permissions.set(Permission.objects.filter(codename__in=["add_user", "view_user"]))
    user = User.objects.create_user(
        "alice", "alice@example.org", "correct horse", first_name="Alîce", last_name="Ünïcødé 🗓"
    )
    user.groups.add(organisers)
    user.user_permissions.add(
        Permission.objects.get(codename="change_group", content_type__app_label="auth")
    )
    return user


@pytest.fixture
def bob(db: None) -> User:
    from django.contrib.auth.models import User

    return User.objects.create_user("bob", "bob@example.org", "battery staple")
