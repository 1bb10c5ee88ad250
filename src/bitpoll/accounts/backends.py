"""Authentication backends; settings.py chooses which ones are active (SSO block there).

- LdapBackend: django-auth-ldap, with users found through ExternalIdentity and LDAP groups
  mirrored into accounts.Group.
- OidcBackend: never authenticates by itself; the OIDC callback logs users in with it so that
  their sessions stay valid.
- StaffAdminOnlyBackend: local passwords in SSO-only mode, for staff at the admin login only.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

from bitpoll.accounts import sso
from bitpoll.accounts.models import ExternalIdentity, Group

log = logging.getLogger(__name__)


class OidcBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        return None


class StaffAdminOnlyBackend(ModelBackend):
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


def _ldap_backend_base() -> type:
    from django_auth_ldap.backend import LDAPBackend

    return LDAPBackend


class LdapBackend(_ldap_backend_base()):  # type: ignore[misc]
    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
        identity = (
            ExternalIdentity.objects.select_related("user")
            .filter(provider=ExternalIdentity.Provider.LDAP, issuer="", subject=username.lower())
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
                user, Group.Source.LDAP, {dn.lower(): _group_name(dn) for dn in ldap_user.group_dns}
            )
        return user


def _group_name(dn: str) -> str:
    """The value of a group DN's first part: 'cn=Council,ou=groups,...' -> 'Council'."""
    import ldap.dn

    try:
        return str(ldap.dn.str2dn(dn)[0][0][1])
    except (ldap.DECODING_ERROR, IndexError):
        return dn
