from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def sso(request: HttpRequest) -> dict[str, Any]:
    """What accounts/_sso_login.html shows: which single sign-on is configured."""
    oidc = getattr(settings, "OIDC", None)
    return {
        "sso": {
            "oidc": oidc is not None,
            "oidc_name": oidc.name if oidc is not None else "",
            "ldap": getattr(settings, "LDAP", None) is not None,
            "only": getattr(settings, "SSO_ONLY", False),
        }
    }


def accounts(request: HttpRequest) -> dict[str, Any]:
    return {"accounts_enabled": settings.ACCOUNTS_ENABLED}
