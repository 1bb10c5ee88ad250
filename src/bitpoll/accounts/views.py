"""Local accounts: register, verify, log in and out, reset and change password and e-mail,
settings. Every page is a 404 while BITPOLL_ACCOUNTS_ENABLED is off."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from bitpoll.accounts import emails, profiles
from bitpoll.accounts.forms import (
    EmailChangeForm,
    LoginForm,
    RegistrationForm,
    ResetForm,
    SettingsForm,
)
from bitpoll.accounts.middleware import SESSION_TIME_ZONE
from bitpoll.accounts.models import Profile
from bitpoll.accounts.tokens import activation_tokens, email_change_token, read_email_change
from bitpoll.polls.forms import time_zones
from bitpoll.ratelimit import limits

User = get_user_model()
MAX_USERNAME = 150  # Django's User.username


def accounts_on(view: Callable[..., Any]) -> Callable[..., Any]:
    """404 while accounts are switched off: the site is then anonymous-only, as before."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not settings.ACCOUNTS_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def registration_open() -> bool:
    return bool(settings.ACCOUNTS_ENABLED and settings.ACCOUNTS_REGISTRATION == "open")


def _absolute(path: str) -> str:
    return settings.BASE_URL.rstrip("/") + path


@accounts_on
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if not registration_open():
        raise Http404
    if request.user.is_authenticated:
        return redirect("accounts:polls")
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid():
            # Counted like a login attempt: each one sends a mail.
            limits.check(request, "logins")
            with transaction.atomic():
                user = form.save(commit=False)
                user.is_active = False
                user.save()
                Profile.objects.create(user=user, display_name=form.cleaned_data["display_name"])
            _send_activation(user)
            messages.success(
                request,
                _("Almost done: open the link in the mail sent to %(email)s to verify it.")
                % {"email": user.email},
            )
            return redirect("accounts:login")
        status = 400
    else:
        form = RegistrationForm()
        status = 200
    return render(request, "accounts/register.html", {"form": form}, status=status)


def _send_activation(user: Any) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = activation_tokens.make_token(user)
    link = _absolute(reverse("accounts:verify", args=[uid, token]))
    emails.send_template(user.email, "verify", {"user": user, "link": link})


@accounts_on
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link in the registration mail. GET asks, POST activates: mail scanners that
    open links do not verify addresses for anyone."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    valid = user is not None and not user.is_active and activation_tokens.check_token(user, token)
    if not valid:
        return render(request, "accounts/verify.html", {"valid": False}, status=404)
    if request.method == "POST":
        assert user is not None
        user.is_active = True
        user.save(update_fields=["is_active"])
        messages.success(request, _("Your address is verified. Log in to continue."))
        return redirect("accounts:login")
    return render(request, "accounts/verify.html", {"valid": True, "account": user})


class _Login(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every attempt counts, so a guesser learns nothing from which ones were refused.
        username = str(request.POST.get("username", ""))[:MAX_USERNAME].strip().casefold()
        limits.check(request, "logins", user=username)
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _apply_language(self.request, response, form.get_user())
        return response  # type: ignore[no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["registration_open"] = registration_open()
        # SSO-only: the provider's buttons, no local passwords (staff log in at /admin/).
        ctx["password_login"] = not getattr(settings, "SSO_ONLY", False)
        # The single sign-on buttons (accounts/_sso_login.html) show when this is true.
        ctx["sso_login"] = getattr(settings, "SSO_ENABLED", False)
        return ctx  # type: ignore[no-any-return]


login_view = accounts_on(_Login.as_view())
logout_view = accounts_on(auth_views.LogoutView.as_view(next_page="home"))


def _apply_language(request: HttpRequest, response: HttpResponse, user: Any) -> None:
    """Apply the user's language (cookie) and time zone (session) after login or a change."""
    found = Profile.objects.filter(user=user).values_list("language", "time_zone").first()
    language, zone = found or ("", "")
    if zone:
        request.session[SESSION_TIME_ZONE] = zone
    else:
        request.session.pop(SESSION_TIME_ZONE, None)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite="Lax",
        )


class _Reset(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = ResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limits.check(request, "logins")
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    def form_valid(self, form: Any) -> HttpResponse:
        # The link is built from BITPOLL_BASE_URL, never from the request's Host header.
        base = settings.BASE_URL.rstrip("/")
        self.extra_email_context = {"base_url": base}
        return super().form_valid(form)  # type: ignore[no-any-return]


password_reset = accounts_on(_Reset.as_view())
password_reset_done = accounts_on(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = accounts_on(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
password_reset_complete = accounts_on(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)
password_change = accounts_on(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password_change_done"),
    )
)
password_change_done = accounts_on(
    login_required(
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        )
    )
)


@accounts_on
@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    profile = profiles.profile_of(request.user)  # type: ignore[arg-type]
    old_name = profile.display_name
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=profile)
        if form.is_valid():
            form.save()
            if profile.display_name != old_name:
                profiles.rename_entries(request.user)  # type: ignore[arg-type]
            messages.success(request, _("Your settings are saved."))
            response = redirect("accounts:settings")
            _apply_language(request, response, request.user)
            return response
        status = 400
    else:
        form = SettingsForm(instance=profile)
        status = 200
    ctx = {"form": form, "time_zones": time_zones()}
    return render(request, "accounts/settings.html", ctx, status=status)


@accounts_on
@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        form = EmailChangeForm(request.POST, user=user)
        if form.is_valid():
            limits.check(request, "logins", user=user.get_username().casefold())
            new = form.cleaned_data["email"]
            token = email_change_token(user.pk, user.email, new)
            link = _absolute(reverse("accounts:email_confirm", args=[token]))
            emails.send_template(new, "email_change", {"user": user, "link": link})
            messages.success(
                request,
                _("Open the link in the mail sent to %(email)s to confirm the new address.")
                % {"email": new},
            )
            return redirect("accounts:settings")
        status = 400
    else:
        form = EmailChangeForm(user=user)
        status = 200
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@accounts_on
@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    user: Any = request.user
    data = read_email_change(token)
    valid = data is not None and data.get("u") == user.pk and data.get("o") == user.email
    if not valid:
        return render(request, "accounts/email_confirm.html", {"valid": False}, status=404)
    assert data is not None
    if request.method == "POST":
        user.email = str(data["n"])
        user.save(update_fields=["email"])
        messages.success(request, _("Your e-mail address is changed."))
        return redirect("accounts:settings")
    return render(request, "accounts/email_confirm.html", {"valid": True, "email": data["n"]})
