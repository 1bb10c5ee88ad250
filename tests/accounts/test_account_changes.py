"""Changing e-mail address (confirmed through a link to the new one) and password."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from .conftest import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def test_the_new_address_counts_once_its_link_is_opened(
    accounts_on: Any, mail_to_sink: Any
) -> None:
    mia = make_user("mia")
    client = client_for(mia)
    wrong = client.post("/accounts/email/", {"email": "new@example.org", "password": "nope"})
    assert wrong.status_code == 400
    response = client.post("/accounts/email/", {"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 302
    (mail,) = mail_to_sink.wait_for(1)
    assert mail["To"] == "new@example.org"
    link = re.search(r"http://localhost:8000(/accounts/email/\S+)", mail.get_content())
    assert link
    assert get_user_model().objects.get(pk=mia.pk).email == "mia@example.org"
    # Someone else's session cannot use it.
    assert client_for(make_user("nick")).post(link.group(1)).status_code == 404
    assert client.get(link.group(1)).status_code == 200
    assert client.post(link.group(1)).status_code == 302
    assert get_user_model().objects.get(pk=mia.pk).email == "new@example.org"
    assert client.post(link.group(1)).status_code == 404  # the old address no longer matches


def test_the_password_is_changed_with_the_old_one(accounts_on: Any) -> None:
    mia = make_user("mia")
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "mia", "password": PASSWORD}).status_code
        == 302
    )
    new = "a brand new passphrase"
    data = {"old_password": "wrong", "new_password1": new, "new_password2": new}
    assert client.post("/accounts/password/", data).status_code == 200
    data["old_password"] = PASSWORD
    assert client.post("/accounts/password/", data).status_code == 302
    assert get_user_model().objects.get(pk=mia.pk).check_password(new)
    assert client.get("/accounts/settings/").status_code == 200  # still logged in


def test_django_admin_locks_an_account_and_ends_its_sessions(accounts_on: Any) -> None:
    sam = make_user("sam", superuser=True)
    mia = make_user("mia")
    mia_client = client_for(mia)
    assert mia_client.get("/accounts/settings/").status_code == 200
    admin = client_for(sam)
    response = admin.post(
        "/admin/auth/user/", {"action": "lock", "_selected_action": [mia.pk, sam.pk]}
    )
    assert response.status_code == 302
    assert not get_user_model().objects.get(pk=mia.pk).is_active
    assert get_user_model().objects.get(pk=sam.pk).is_active  # not oneself
    assert mia_client.get("/accounts/settings/").status_code == 302  # logged out
    login = {"username": "mia", "password": PASSWORD}
    assert Client().post("/accounts/login/", login).status_code == 200
    assert admin.get("/admin/accounts/group/").status_code == 200
