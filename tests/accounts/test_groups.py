"""Groups: create, add and remove members, admins; SSO groups read-only; outsiders 404."""

from __future__ import annotations

from typing import Any

import pytest

from bitpoll.accounts.models import Group, Membership

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def test_a_user_creates_a_group_and_manages_its_members(accounts_on: Any) -> None:
    olga, mia = make_user("olga"), make_user("mia")
    olga_client = client_for(olga)
    response = olga_client.post("/accounts/groups/new/", {"name": "Council", "slug": "council"})
    assert response.status_code == 302 and response["Location"] == "/accounts/groups/council/"
    group = Group.objects.get(slug="council")
    assert Membership.objects.get(group=group, user=olga).is_admin
    base = "/accounts/groups/council/"
    assert olga_client.post(base + "members/", {"username": "mia@example.org"}).status_code == 302
    assert group.members.filter(pk=mia.pk).exists()
    # A plain member sees the group but cannot change it.
    mia_client = client_for(mia)
    assert mia_client.get(base).status_code == 200
    assert mia_client.post(base + "members/", {"username": "olga"}).status_code == 403
    assert mia_client.post(f"{base}members/{olga.pk}/", {"action": "remove"}).status_code == 403
    # Made admin, she can; the last admin cannot be removed.
    assert olga_client.post(f"{base}members/{mia.pk}/", {"action": "admin"}).status_code == 302
    assert Membership.objects.get(user=mia).is_admin
    assert mia_client.post(f"{base}members/{olga.pk}/", {"action": "remove"}).status_code == 302
    assert not group.members.filter(pk=olga.pk).exists()
    assert mia_client.post(f"{base}members/{mia.pk}/", {"action": "remove"}).status_code == 302
    assert group.members.filter(pk=mia.pk).exists()
    # Outsiders and bad input.
    assert olga_client.get(base).status_code == 404
    assert mia_client.post(f"{base}members/{mia.pk}/", {"action": "boss"}).status_code == 400
    assert mia_client.post(base + "members/", {"username": "nobody"}).status_code == 400
    assert mia_client.get(base + "members/").status_code == 405


def test_a_duplicate_short_name_is_a_form_error(accounts_on: Any) -> None:
    Group.objects.create(name="Council", slug="council")
    client = client_for(make_user("olga"))
    response = client.post("/accounts/groups/new/", {"name": "Other", "slug": "council"})
    assert response.status_code == 400


def test_groups_from_single_sign_on_are_read_only(accounts_on: Any) -> None:
    olga, mia = make_user("olga"), make_user("mia")
    group = Group.objects.create(name="Staff", slug="staff", source="ldap", external_id="cn=staff")
    Membership.objects.create(group=group, user=olga, is_admin=True)
    client = client_for(olga)
    page = client.get("/accounts/groups/staff/").content.decode()
    assert 'id="group-external"' in page and 'id="member-form"' not in page
    assert client.post("/accounts/groups/staff/members/", {"username": "mia"}).status_code == 403
    assert not group.members.filter(pk=mia.pk).exists()
