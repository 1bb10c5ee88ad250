"""`bitpoll check --deploy` for single sign-on: is the configured provider there and sane?

Each problem is one Error whose message names the setting and says what is wrong; the
provider is contacted (discovery document and keys, or a bind to the directory) with short
timeouts, and only by the deployment checks, never when the server starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from bitpoll.conf import Ldap

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@register("bitpoll", deploy=True)
def check_oidc_provider(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    from bitpoll.accounts import oidc

    cfg = getattr(settings, "OIDC", None)
    if cfg is None:
        return []
    problem = oidc.check_provider(cfg)
    if problem is not None:
        return [
            Error(
                f"OpenID Connect provider {cfg.issuer}: {problem}.",
                hint="Check BITPOLL_OIDC_ISSUER and that this host can reach the provider.",
                id="bitpoll.E130",
            )
        ]
    return []


@register("bitpoll", deploy=True)
def check_ldap_server(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    cfg = getattr(settings, "LDAP", None)
    if cfg is None:
        return []
    messages: list[CheckMessage] = []
    host = urlsplit(cfg.uri).hostname or ""
    if cfg.uri.startswith("ldap://") and not cfg.start_tls and host not in LOOPBACK:
        messages.append(
            Warning(
                f"LDAP server {cfg.uri}: passwords would cross the network unencrypted.",
                hint="Use an ldaps:// URI or BITPOLL_LDAP_START_TLS=true.",
                id="bitpoll.W131",
            )
        )
    problem = ldap_problem(cfg)
    if problem is not None:
        messages.append(
            Error(
                f"LDAP server {cfg.uri}: {problem}.",
                hint="Check BITPOLL_LDAP_URI, the TLS settings and BITPOLL_LDAP_BIND_DN.",
                id="bitpoll.E131",
            )
        )
    return messages


def ldap_problem(cfg: Ldap) -> str | None:
    """Connect (and StartTLS) with the configured options, bind the service account if any."""
    import ldap

    from bitpoll.accounts.ldapconf import django_auth_ldap_settings

    options = django_auth_ldap_settings(cfg)["AUTH_LDAP_CONNECTION_OPTIONS"]
    try:
        conn = ldap.initialize(cfg.uri)
        for option, value in options.items():
            conn.set_option(option, value)
        if cfg.start_tls:
            conn.start_tls_s()
        if cfg.bind_dn:
            conn.simple_bind_s(cfg.bind_dn, cfg.bind_password)
        else:
            conn.simple_bind_s("", "")
        conn.unbind_s()
    except ldap.INVALID_CREDENTIALS:
        return "the bind DN or its password (BITPOLL_LDAP_BIND_PASSWORD_FILE) is refused"
    except ldap.LDAPError as exc:
        detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        reason = detail.get("info") or detail.get("desc") or exc.__class__.__name__
        return f"cannot connect ({reason})"
    return None


# Accounts: open registration needs mail.
CONSOLE = "django.core.mail.backends.console.EmailBackend"


@register("bitpoll", deploy=True)
def check_registration_mail(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """Open registration verifies addresses by mail: with mail going to the log, no one can
    finish registering."""
    if not (settings.ACCOUNTS_ENABLED and settings.ACCOUNTS_REGISTRATION == "open"):
        return []
    if settings.EMAIL_BACKEND != CONSOLE:
        return []
    return [
        Warning(
            "BITPOLL_ACCOUNTS_REGISTRATION=open, but mail goes to the log (no BITPOLL_EMAIL_URL): "
            "new accounts never receive their verification link.",
            hint="Set BITPOLL_EMAIL_URL (NixOS: services.bitpoll.email.host), or set "
            "BITPOLL_ACCOUNTS_REGISTRATION=closed.",
            id="bitpoll.accounts.W001",
        )
    ]
