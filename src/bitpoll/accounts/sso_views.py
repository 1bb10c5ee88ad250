"""Single sign-on pages: the OIDC login start and callback, the LDAP/SSO login form.

Every failure of the provider or of the browser's round trip ends on a page that says what
happened and offers to try again (400 for a broken round trip, 502 for a provider that is down
or answers nonsense), never on a server error; the reason goes to the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from bitpoll.accounts import oidc, sso
from bitpoll.accounts.models import ExternalIdentity, Group
from bitpoll.ratelimit import limits

log = logging.getLogger(__name__)

SESSION_KEY = "bitpoll_oidc"
PENDING_SECONDS = 600  # a login not finished within ten minutes has to start again
MAX_PENDING = 5  # logins started in several tabs at once


def _next_url(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return "/"


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "accounts/sso_error.html",
        {"message": message, "retry_url": reverse("oidc_login")},
        status=status,
    )


def _unreachable(request: HttpRequest, exc: oidc.OidcError) -> HttpResponse:
    log.warning("OpenID Connect: %s", exc)
    if isinstance(exc, oidc.ProviderUnreachable):
        message = _("The sign-in service cannot be reached at the moment. Please try again later.")
    else:
        message = _(
            "The sign-in service answered in a way Bitpoll cannot use. Please try again later; "
            "if this persists, tell the site's administrators."
        )
    return _error(request, message, 502)


@never_cache
@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    cfg = oidc.config()
    if cfg is None:
        raise Http404
    try:
        discovery = oidc.discover(cfg)
    except oidc.OidcError as exc:
        return _unreachable(request, exc)
    pending, url = oidc.start(cfg, discovery, _next_url(request, request.GET.get("next")))
    now = int(time.time())
    stored: dict[str, Any] = {
        state: item
        for state, item in request.session.get(SESSION_KEY, {}).items()
        if now - item.get("at", 0) < PENDING_SECONDS
    }
    stored[pending.state] = {
        "nonce": pending.nonce,
        "verifier": pending.verifier,
        "next": pending.next_url,
        "at": now,
    }
    newest = sorted(stored.items(), key=lambda kv: kv[1]["at"])[-MAX_PENDING:]
    request.session[SESSION_KEY] = dict(newest)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    cfg = oidc.config()
    if cfg is None:
        raise Http404
    state = request.GET.get("state", "")
    stored = request.session.get(SESSION_KEY)
    item = stored.pop(state, None) if isinstance(stored, dict) and state else None
    if item is not None:
        # Used up, whatever happens next: a state works once.
        request.session[SESSION_KEY] = stored
    if item is None or int(time.time()) - item.get("at", 0) >= PENDING_SECONDS:
        log.info("OpenID Connect: callback with an unknown or expired state")
        return _error(
            request,
            _(
                "This sign-in was not started here, or it took too long. Please start again "
                "from the login button."
            ),
            400,
        )
    if "error" in request.GET:
        log.info("OpenID Connect: the provider returned error %r", request.GET["error"][:100])
        return _error(
            request,
            _("The sign-in service did not sign you in (%(error)s). Please try again.")
            % {"error": request.GET["error"][:100]},
            400,
        )
    code = request.GET.get("code", "")
    if not code:
        return _error(request, _("The sign-in service sent no result. Please try again."), 400)
    pending = oidc.Pending(
        state=state, nonce=item["nonce"], verifier=item["verifier"], next_url=item["next"]
    )
    try:
        discovery = oidc.discover(cfg)
        # RFC 9207: a provider that names itself must be the one this login went to.
        if "iss" in request.GET and request.GET["iss"] != discovery.issuer:
            raise oidc.OidcError(f"the response names another issuer {request.GET['iss'][:200]!r}")
        claims = oidc.exchange(cfg, discovery, code, pending)
    except oidc.ProviderUnreachable as exc:
        return _unreachable(request, exc)
    except oidc.OidcError as exc:
        log.warning("OpenID Connect: sign-in refused: %s", exc)
        return _error(
            request,
            _(
                "The sign-in could not be verified, so you are not logged in. Please start "
                "again from the login button."
            ),
            400,
        )
    user = sso.user_for_identity(
        ExternalIdentity.Provider.OIDC,
        cfg.issuer,
        claims["sub"],
        username=str(claims.get(cfg.username_claim) or claims.get("email") or claims["sub"]),
        email=str(claims.get("email") or "") if claims.get("email_verified", True) else "",
        display_name=str(claims.get("name") or ""),
    )
    if not getattr(user, "is_active", True):
        return _error(request, _("This account is locked. Ask the site's administrators."), 403)
    groups = oidc.groups_from_claims(cfg, claims)
    if groups is not None:
        sso.sync_groups(user, Group.Source.OIDC, groups)
    login(request, user, backend="bitpoll.accounts.backends.OidcBackend")  # type: ignore[arg-type]
    messages.success(request, _("You are logged in."))
    return HttpResponseRedirect(pending.next_url)


@never_cache
@require_http_methods(["GET", "POST"])
def sso_login(request: HttpRequest) -> HttpResponse:
    """Log in through the configured single sign-on: OIDC button, LDAP user name and password."""
    if not settings.SSO_ENABLED:
        raise Http404
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if settings.LDAP is None:
            raise Http404
        username = str(request.POST.get("username", ""))[:150].strip().casefold()
        limits.check(request, "logins", user=username)
        if form.is_valid():
            login(request, form.get_user())
            messages.success(request, _("You are logged in."))
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "accounts/sso_login.html",
        {"form": form, "next": next_url, "ldap_enabled": settings.LDAP is not None},
    )
