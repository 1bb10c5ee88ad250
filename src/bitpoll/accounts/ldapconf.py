"""Settings for django-auth-ldap, built from BITPOLL_LDAP_* (see bitpoll.conf.env_ldap).

Imported by the settings only when LDAP is configured, so python-ldap is needed only then.
"""

from __future__ import annotations

from typing import Any

from bitpoll.conf import Ldap


def django_auth_ldap_settings(cfg: Ldap) -> dict[str, Any]:
    import ldap
    from django_auth_ldap.config import (
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        PosixGroupType,
    )

    options: dict[int, Any] = {
        ldap.OPT_NETWORK_TIMEOUT: cfg.timeout,
        ldap.OPT_TIMEOUT: cfg.timeout,
        # Referrals would send the bind password to servers nobody configured.
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if cfg.ca_file is not None:
        options[ldap.OPT_X_TLS_CACERTFILE] = str(cfg.ca_file)
    # Applies the TLS options above to this connection's context.
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    group_types = {
        "groupofnames": GroupOfNamesType,
        "groupofuniquenames": GroupOfUniqueNamesType,
        "posixgroup": PosixGroupType,
    }
    result: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": cfg.uri,
        "AUTH_LDAP_START_TLS": cfg.start_tls,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_BIND_DN": cfg.bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": cfg.bind_password,
        # Without a service account the user's own bind reads their entry and groups:
        # directories rarely let anonymous clients read them.
        "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER": not cfg.bind_dn,
        "AUTH_LDAP_USER_ATTR_MAP": {"email": cfg.attr_email},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_FIND_GROUP_PERMS": False,
        "AUTH_LDAP_MIRROR_GROUPS": False,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
    }
    if cfg.user_dn_template:
        result["AUTH_LDAP_USER_DN_TEMPLATE"] = cfg.user_dn_template
    else:
        result["AUTH_LDAP_USER_SEARCH"] = LDAPSearch(
            cfg.user_search_base, ldap.SCOPE_SUBTREE, cfg.user_filter
        )
    if cfg.group_search_base:
        result["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            cfg.group_search_base, ldap.SCOPE_SUBTREE, cfg.group_filter
        )
        result["AUTH_LDAP_GROUP_TYPE"] = group_types[cfg.group_type]()
    if cfg.require_group:
        result["AUTH_LDAP_REQUIRE_GROUP"] = cfg.require_group
    return result
