"""The Django admin's login is throttled per client address and per user name."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from .conftest import ERIN, MALLORY, assert_limited, client_at

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def root(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "correct horse battery")


def _try(address: str, username: str, password: str) -> int:
    data = {"username": username, "password": password, "next": "/admin/"}
    return client_at(address).post(LOGIN, data).status_code


def test_it_throttles_password_guessing_from_one_client(small_limits: object, root: User) -> None:
    mallory = client_at(MALLORY)
    for guess in ("a", "b", "c"):
        assert mallory.post(LOGIN, {"username": "root", "password": guess}).status_code == 200
    response = mallory.post(LOGIN, {"username": "root", "password": "correct horse battery"})
    assert_limited(response, retry_after=900)
    assert "_auth_user_id" not in mallory.session


def test_it_throttles_guessing_one_user_name_from_many_clients(
    small_limits: object, root: User
) -> None:
    for i in range(5):
        assert _try(f"203.0.113.{i + 1}", "Root", f"guess {i}") == 200
    assert _try(ERIN, "root", "correct horse battery") == 429


def test_another_user_logs_in_meanwhile(small_limits: object, root: User) -> None:
    User.objects.create_superuser("erin", "erin@example.org", "another good passphrase")
    for guess in ("a", "b", "c", "d"):
        _try(MALLORY, "root", guess)
    assert _try(ERIN, "erin", "another good passphrase") == 302


def test_the_login_page_itself_is_not_counted(small_limits: object, root: User) -> None:
    mallory = client_at(MALLORY)
    for _ in range(10):
        assert mallory.get(LOGIN).status_code == 200
    assert _try(MALLORY, "root", "correct horse battery") == 302
