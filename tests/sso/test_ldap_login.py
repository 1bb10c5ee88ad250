"""LDAP logins through the login form against a real slapd (tests/sso/slapd.py).

django-auth-ldap does the binding and searching; Bitpoll links the user through
ExternalIdentity (a local account of the same name stays someone else's), takes name and
e-mail from the directory and mirrors the user's LDAP groups into read-only groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from bitpoll import conf
from bitpoll.accounts.models import ExternalIdentity, Group, Membership
from sso.slapd import ADMIN_DN, BASE, USERS, Slapd

ldap = pytest.importorskip("ldap", reason="python-ldap is not installed (extra 'ldap')")
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LOGIN = "/accounts/sso/login/"


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    server = Slapd().start()
    yield server
    server.stop()


def ldap_config(slapd: Slapd, **changes: Any) -> conf.Ldap:
    cfg = conf.Ldap(
        uri=slapd.uri,
        start_tls=False,
        ca_file=None,
        bind_dn=ADMIN_DN,
        bind_password=slapd.admin_password,
        user_search_base=f"ou=people,{BASE}",
        user_filter="(uid=%(user)s)",
        user_dn_template="",
        group_search_base=f"ou=groups,{BASE}",
        group_filter="(objectClass=groupOfNames)",
        group_type="groupofnames",
        require_group="",
        attr_name="cn",
        attr_email="mail",
        timeout=3,
    )
    return cfg._replace(**changes)


def ldap_settings(cfg: conf.Ldap) -> override_settings:
    from bitpoll.accounts.ldapconf import django_auth_ldap_settings

    return override_settings(
        LDAP=cfg,
        SSO_ENABLED=True,
        AUTHENTICATION_BACKENDS=[
            "bitpoll.accounts.backends.LdapBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        RATELIMIT_ENABLED=False,
        **django_auth_ldap_settings(cfg),
    )


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, "next": "/?x=1"})


def groups_of(user: User) -> list[tuple[str, str, str]]:
    return sorted(
        (m.group.source, m.group.external_id, m.group.name)
        for m in Membership.objects.filter(user=user).select_related("group")
    )


def test_it_binds_searches_and_mirrors_name_mail_and_groups(client: Client, slapd: Slapd) -> None:
    with ldap_settings(ldap_config(slapd)):
        response = log_in(client, "carol", USERS["carol"][2])
    assert response.status_code == 302
    assert response["Location"] == "/?x=1"
    carol = User.objects.get(username="carol")
    assert client.session["_auth_user_id"] == str(carol.pk)
    assert carol.email == "carol@example.org"
    assert carol.profile.display_name == "Carol Directory"
    assert not carol.has_usable_password()
    assert ExternalIdentity.objects.filter(user=carol, provider="ldap", subject="carol").exists()
    assert groups_of(carol) == [
        ("ldap", f"cn=chess,ou=groups,{BASE}".lower(), "chess"),
        ("ldap", f"cn=council,ou=groups,{BASE}".lower(), "council"),
    ]
    assert all(g.is_managed_externally for g in Group.objects.all())


def test_group_membership_follows_the_directory_at_each_login(slapd: Slapd) -> None:
    cfg = ldap_config(slapd)
    with ldap_settings(cfg):
        assert log_in(Client(), "dave", USERS["dave"][2]).status_code == 302
        dave = User.objects.get(username="dave")
        assert [g[2] for g in groups_of(dave)] == ["chess"]
        conn = ldap.initialize(slapd.uri)
        conn.simple_bind_s(ADMIN_DN, slapd.admin_password)
        group_dn = f"cn=council,ou=groups,{BASE}"
        member = f"uid=dave,ou=people,{BASE}".encode()
        conn.modify_s(group_dn, [(ldap.MOD_ADD, "member", [member])])
        try:
            assert log_in(Client(), "dave", USERS["dave"][2]).status_code == 302
            assert [g[2] for g in groups_of(dave)] == ["chess", "council"]
        finally:
            conn.modify_s(group_dn, [(ldap.MOD_DELETE, "member", [member])])
        assert log_in(Client(), "dave", USERS["dave"][2]).status_code == 302
        assert [g[2] for g in groups_of(dave)] == ["chess"]
    assert User.objects.filter(username__startswith="dave").count() == 1


def test_a_wrong_password_shows_the_form_again(client: Client, slapd: Slapd) -> None:
    with ldap_settings(ldap_config(slapd)):
        response = log_in(client, "carol", "not her password")
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="carol").exists()


def test_a_local_account_of_the_same_name_is_not_taken_over(client: Client, slapd: Slapd) -> None:
    local = User.objects.create_user("carol", "someone@example.net", "local password 1")
    with ldap_settings(ldap_config(slapd)):
        assert log_in(client, "carol", USERS["carol"][2]).status_code == 302
    linked = ExternalIdentity.objects.get(provider="ldap", subject="carol").user
    assert linked.pk != local.pk
    assert linked.username == "carol-2"
    local.refresh_from_db()
    assert local.email == "someone@example.net" and local.check_password("local password 1")


def test_direct_bind_with_a_dn_template(client: Client, slapd: Slapd) -> None:
    cfg = ldap_config(
        slapd,
        bind_dn="",
        bind_password="",
        user_search_base="",
        user_dn_template=f"uid=%(user)s,ou=people,{BASE}",
        group_search_base="",
    )
    with ldap_settings(cfg):
        assert log_in(client, "dave", USERS["dave"][2]).status_code == 302
    dave = User.objects.get(username="dave")
    assert dave.email == "dave@example.org"
    assert groups_of(dave) == []


def test_a_required_group_keeps_others_out(slapd: Slapd) -> None:
    cfg = ldap_config(slapd, require_group=f"cn=council,ou=groups,{BASE}")
    with ldap_settings(cfg):
        assert log_in(Client(), "dave", USERS["dave"][2]).status_code == 200
        assert log_in(Client(), "carol", USERS["carol"][2]).status_code == 302


@pytest.mark.parametrize("mode", ["ldaps", "starttls"])
def test_tls_with_the_configured_ca(client: Client, slapd: Slapd, mode: str) -> None:
    uri = slapd.ldaps_uri if mode == "ldaps" else slapd.uri
    cfg = ldap_config(slapd, uri=uri, start_tls=mode == "starttls", ca_file=slapd.ca_file)
    with ldap_settings(cfg):
        assert log_in(client, "carol", USERS["carol"][2]).status_code == 302


def test_tls_refuses_a_certificate_it_cannot_verify(client: Client, slapd: Slapd) -> None:
    cfg = ldap_config(slapd, uri=slapd.ldaps_uri, ca_file=None)
    with ldap_settings(cfg):
        response = log_in(client, "carol", USERS["carol"][2])
    assert response.status_code == 200
    assert not User.objects.filter(username="carol").exists()


def test_a_directory_that_is_down_refuses_the_login_without_an_error(
    client: Client, slapd: Slapd
) -> None:
    from serverutil import free_port

    with ldap_settings(ldap_config(slapd, uri=f"ldap://127.0.0.1:{free_port()}")):
        response = log_in(client, "carol", USERS["carol"][2])
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content


def test_check_deploy_binds_the_service_account(slapd: Slapd) -> None:
    from bitpoll.accounts import checks

    with override_settings(LDAP=ldap_config(slapd)):
        assert checks.check_ldap_server(None) == []
    with override_settings(LDAP=ldap_config(slapd, bind_password="wrong")):
        [error] = checks.check_ldap_server(None)
    assert error.id == "bitpoll.E131"
    assert "bind DN or its password" in error.msg
    with override_settings(LDAP=ldap_config(slapd, uri=slapd.ldaps_uri)):
        [error] = checks.check_ldap_server(None)
    assert "cannot connect" in error.msg


def test_the_login_form_is_throttled(slapd: Slapd) -> None:
    from bitpoll.conf import Rate

    limits = {"logins": Rate(3, 900), "logins_per_user": Rate(100, 3600)}
    with (
        ldap_settings(ldap_config(slapd)),
        override_settings(RATELIMIT_ENABLED=True, RATELIMITS=limits),
    ):
        client = Client()
        statuses = [log_in(client, "carol", "guess").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        # The right password does not help once the limit is reached.
        assert log_in(client, "carol", USERS["carol"][2]).status_code == 429
    assert not User.objects.filter(username="carol").exists()
