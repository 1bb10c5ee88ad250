"""Authentication backends; settings.py chooses which ones are active (SSO block there).

- LdapBackend: django-auth-ldap, with users found through ExternalIdentity and LDAP groups
  mirrored into accounts.Group.
- OidcBackend: never authenticates by itself; the OIDC callback logs users in with it so that
  their sessions stay valid.
- StaffAdminOnlyBackend: local passwords in SSO-only mode, for staff at the admin login only.
- PasswordBackend: local passwords otherwise: Django's ModelBackend.
All but LdapBackend read the logged-in user with one hand-written statement (FastUserMixin).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import connections, router
from django.http import HttpRequest

from bitpoll.accounts import sso
from bitpoll.accounts.models import ExternalIdentity, Group
from bitpoll.core import prepared

log = logging.getLogger(__name__)


@functools.cache
def _user_statement(alias: str) -> tuple[str, tuple[str, ...]]:
    user_model = get_user_model()
    meta = user_model._meta
    qn = connections[alias].ops.quote_name
    fields = tuple(f.attname for f in meta.concrete_fields)
    columns = ", ".join(qn(str(f.column)) for f in meta.concrete_fields)
    assert meta.pk is not None
    pk = qn(str(meta.pk.column))
    return f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {pk} = %s", fields  # noqa: S608


class FastUserMixin:
    """get_user() in one hand-written statement.

    Every request of a logged-in member reads their user. Through the ORM (`.get(pk=...)`)
    that read cost about 1 ms, most of it compiling the query: more than everything else a
    cached poll page does. The same row, built as the ORM builds it (prepared.build).
    """

    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        alias = router.db_for_read(user_model)
        statement, fields = _user_statement(alias)
        with prepared.cursor(connections[alias]) as cursor:
            cursor.execute(statement, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = prepared.build(user_model, fields, row, alias)
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class PasswordBackend(FastUserMixin, ModelBackend):
    """Django's ModelBackend (local passwords), with a quicker get_user().

    Sessions made before it took Django's place in settings.py name Django's class; they are
    read as naming this one (bitpoll.accounts.sessions), so nobody is logged out by the change.
    """


class OidcBackend(FastUserMixin, ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        return None


class StaffAdminOnlyBackend(FastUserMixin, ModelBackend):
    """Django's password check, but only for staff and only at /admin/login/.

    In SSO-only mode nobody signs in with a Bitpoll password, except the site's administrators
    through the Django admin: the way back in when the provider is down or misconfigured.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None or not request.path.startswith("/admin/"):
            return None
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None and not getattr(user, "is_staff", False):
            return None
        return user


def __getattr__(name: str) -> Any:
    # LdapBackend is made on first use: django-auth-ldap (python-ldap) is an optional extra,
    # and the other backends here must load without it.
    if name == "LdapBackend":
        backend = globals()["LdapBackend"] = _ldap_backend()
        return backend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ldap_backend() -> type:
    from django_auth_ldap.backend import LDAPBackend

    class LdapBackend(LDAPBackend):  # type: ignore[misc]
        def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
            identity = (
                ExternalIdentity.objects.select_related("user")
                .filter(
                    provider=ExternalIdentity.Provider.LDAP, issuer="", subject=username.lower()
                )
                .first()
            )
            if identity is not None:
                return identity.user, False
            # A local account of the same name stays someone else's.
            return self.get_user_model()(username=sso.free_username(username.lower())), True

        def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
            user = super().authenticate_ldap_user(ldap_user, password)
            if user is None:
                return None
            attrs = ldap_user.attrs or {}
            name_values = attrs.get(settings.LDAP.attr_name if settings.LDAP else "cn") or [""]
            user = sso.user_for_identity(
                ExternalIdentity.Provider.LDAP,
                "",
                user.ldap_username.lower(),
                username=user.username,
                email=user.email,
                display_name=name_values[0],
                new_user=user,
            )
            if getattr(settings, "AUTH_LDAP_GROUP_SEARCH", None) is not None:
                sso.sync_groups(
                    user,
                    Group.Source.LDAP,
                    {dn.lower(): _group_name(dn) for dn in ldap_user.group_dns},
                )
            return user

    LdapBackend.__module__ = __name__
    LdapBackend.__qualname__ = "LdapBackend"
    return LdapBackend


def _group_name(dn: str) -> str:
    """The value of a group DN's first part: 'cn=Council,ou=groups,...' -> 'Council'."""
    import ldap.dn

    try:
        return str(ldap.dn.str2dn(dn)[0][0][1])
    except (ldap.DECODING_ERROR, IndexError):
        return dn
