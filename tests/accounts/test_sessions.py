"""The session store reads what Django's database store reads, with a statement of its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bitpoll.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_sites_session_engine(settings: Any) -> None:
    from django.contrib.sessions.middleware import SessionMiddleware

    assert settings.SESSION_ENGINE == "bitpoll.accounts.sessions"
    assert SessionMiddleware(lambda r: None).SessionStore is SessionStore  # type: ignore[arg-type,return-value]


def test_it_reads_a_session_written_by_djangos_store_in_one_query() -> None:
    written = django_db.SessionStore()
    written["a"] = {"nested": [1, "two"]}
    written.create()
    store = SessionStore(written.session_key)
    with CaptureQueriesContext(connection) as ctx:
        assert dict(store.items()) == {"a": {"nested": [1, "two"]}}
    assert len(ctx.captured_queries) == 1
    assert store.session_key == written.session_key
    # And Django's store reads what this one writes.
    store["b"] = 2
    store.save()
    assert django_db.SessionStore(written.session_key)["b"] == 2


def test_it_reads_nothing_of_an_expired_or_unknown_session() -> None:
    old = SessionStore()
    old["secret"] = "kept"
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    for key in (old.session_key, "x" * 32):
        store = SessionStore(key)
        assert "secret" not in store and store.session_key is None
        # Like Django's: a later save makes a new key, never reusing the one it was given.
        store["new"] = 1
        store.save()
        assert store.session_key not in (None, key)


# --- The logged-in user, read with one statement (bitpoll.accounts.backends.FastUserMixin).


def test_the_backend_reads_the_user_as_the_orm_does(accounts_on: Any) -> None:
    from django.contrib.auth import get_user_model

    from bitpoll.accounts.backends import PasswordBackend

    from .conftest import make_user

    user = make_user("ursula", display_name="Ursula")
    read = PasswordBackend().get_user(user.pk)
    orm = get_user_model().objects.get(pk=user.pk)
    assert read is not None and read == orm
    for field in orm._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.last_login is None or read.last_login.tzinfo is not None
    assert read.profile.display_name == "Ursula"  # relations load as usual
    assert PasswordBackend().get_user(user.pk + 1000) is None
    orm.is_active = False
    orm.save()
    assert PasswordBackend().get_user(user.pk) is None  # as ModelBackend: locked out


def test_a_session_of_djangos_model_backend_stays_logged_in(accounts_on: Any) -> None:
    """Sessions from before PasswordBackend replaced ModelBackend name ModelBackend."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.test import Client

    from .conftest import make_user

    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS
    user = make_user("veronika")
    client = Client()
    client.force_login(user, backend="bitpoll.accounts.backends.PasswordBackend")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(key)
    assert store[BACKEND_SESSION_KEY] == "bitpoll.accounts.backends.PasswordBackend"
    # Written as Django's store would have written it before the change.
    old = django_db.SessionStore(key)
    old[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    old.save()
    assert (
        Session.objects.get(session_key=key)
        .get_decoded()[BACKEND_SESSION_KEY]
        .startswith("django.")
    )
    page = client.get("/accounts/settings/")
    assert page.status_code == 200 and page.wsgi_request.user == user


def test_the_backends_load_without_the_ldap_extra(tmp_path: Any) -> None:
    """django-auth-ldap is optional: OIDC and passwords work without it."""
    import subprocess
    import sys

    from serverutil import clean_env

    code = (
        "import sys; sys.modules['django_auth_ldap'] = None; "
        "sys.modules['django_auth_ldap.backend'] = None\n"
        "import django; django.setup()\n"
        "from django.utils.module_loading import import_string\n"
        "for name in ('PasswordBackend', 'OidcBackend', 'StaffAdminOnlyBackend'):\n"
        "    import_string('bitpoll.accounts.backends.' + name)\n"
        "try:\n"
        "    import_string('bitpoll.accounts.backends.LdapBackend')\n"
        "except ImportError:\n"
        "    print('no ldap')\n"
    )
    env = {
        **clean_env(tmp_path / "data", BITPOLL_SECRET_KEY="k" * 50),
        "DJANGO_SETTINGS_MODULE": "bitpoll.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no ldap"
