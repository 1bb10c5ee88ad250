"""Mirroring a provider's groups and identities (bitpoll.accounts.sso)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from bitpoll.accounts import sso
from bitpoll.accounts.models import ExternalIdentity, Group, Membership

pytestmark = pytest.mark.django_db


def names(user: User) -> list[tuple[str, str]]:
    return sorted((m.group.source, m.group.name) for m in Membership.objects.filter(user=user))


def test_a_login_changes_only_that_providers_groups() -> None:
    user = User.objects.create_user("alice")
    local = Group.objects.create(name="Chess club", slug="chess-club")
    Membership.objects.create(group=local, user=user, is_admin=True)
    sso.sync_groups(user, Group.Source.LDAP, {"cn=staff,dc=x": "staff"})
    sso.sync_groups(user, Group.Source.OIDC, {"council": "council", "/a/board": "board"})
    assert names(user) == [
        ("ldap", "staff"),
        ("local", "Chess club"),
        ("oidc", "board"),
        ("oidc", "council"),
    ]
    sso.sync_groups(user, Group.Source.OIDC, {"council": "council"})
    assert names(user) == [("ldap", "staff"), ("local", "Chess club"), ("oidc", "council")]
    # The group itself stays for its other members and the polls it owns.
    assert Group.objects.filter(source="oidc", external_id="/a/board").exists()


def test_mirrored_groups_get_free_slugs() -> None:
    Group.objects.create(name="Council", slug="oidc-council")
    user = User.objects.create_user("bob")
    sso.sync_groups(user, Group.Source.OIDC, {"council": "council"})
    mirrored = Group.objects.get(source="oidc", external_id="council")
    assert mirrored.slug == "oidc-council-2"
    assert mirrored.is_managed_externally


def test_identities_are_found_by_subject_not_by_name_or_address() -> None:
    taken = User.objects.create_user("alice", "alice@example.org")
    first = sso.user_for_identity(
        "oidc", "https://id.example.org", "sub-1",
        username="alice", email="alice@example.org", display_name="Alice",
    )  # fmt: skip
    assert first.pk != taken.pk and first.username == "alice-2"
    again = sso.user_for_identity(
        "oidc", "https://id.example.org", "sub-1",
        username="renamed", email="new@example.org", display_name="Alice B.",
    )  # fmt: skip
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.email == "new@example.org" and again.profile.display_name == "Alice B."
    other_issuer = sso.user_for_identity(
        "oidc", "https://other.example.org", "sub-1",
        username="alice", email="", display_name="",
    )  # fmt: skip
    assert other_issuer.pk not in (taken.pk, first.pk)
    assert ExternalIdentity.objects.count() == 2


def test_the_admin_lists_identities_read_only(client) -> None:  # type: ignore[no-untyped-def]
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root-1")
    sso.user_for_identity(
        "ldap", "", "carol", username="carol", email="c@example.org", display_name="Carol"
    )
    client.force_login(admin)
    response = client.get("/admin/accounts/externalidentity/")
    assert response.status_code == 200
    assert b"carol" in response.content
    assert client.get("/admin/accounts/externalidentity/add/").status_code == 403
