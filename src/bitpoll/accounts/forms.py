"""Forms of the accounts pages; each lists its fields explicitly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from bitpoll.accounts import emails
from bitpoll.accounts.models import Group, Profile
from bitpoll.polls.models import validate_time_zone

User = get_user_model()


def _email_taken(address: str, exclude_pk: int | None = None) -> bool:
    found = User.objects.filter(email__iexact=address)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.exists()


class RegistrationForm(UserCreationForm):  # type: ignore[type-arg]
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("Shown with your answers. Leave empty to show your user name."),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")

    def clean_email(self) -> str:
        address: str = self.cleaned_data["email"].strip()
        if _email_taken(address):
            raise forms.ValidationError(
                _("An account with this address exists. Log in or reset its password.")
            )
        return address


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The user name or password is wrong, or the account is not verified yet "
            "(see the link in the mail that registration sent)."
        ),
    }


class ResetForm(PasswordResetForm):
    """Django's reset form, sending through the accounts app's single mail function."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        emails.send_template(to_email, "password_reset", context)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The site's default")), *settings.LANGUAGES],
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        required=False,
        help_text=_("An IANA name like Europe/Berlin; empty for the site's."),
    )

    class Meta:
        model = Profile
        fields = ["display_name", "language", "time_zone", "watch_by_default"]

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"].strip()
        if value:
            validate_time_zone(value)
        return value


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)
    password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is wrong."))
        return password

    def clean_email(self) -> str:
        address: str = self.cleaned_data["email"].strip()
        if address.casefold() == (self.user.email or "").casefold():
            raise forms.ValidationError(_("This is your current address."))
        if _email_taken(address, exclude_pk=self.user.pk):
            raise forms.ValidationError(_("Another account uses this address."))
        return address


class GroupForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Group
        fields = ["name", "slug"]


class MemberForm(forms.Form):
    username = forms.CharField(label=_("User name or e-mail address"), max_length=254)
    is_admin = forms.BooleanField(label=_("Group admin"), required=False)

    def clean_username(self) -> Any:
        value = self.cleaned_data["username"].strip()
        user = (
            User.objects.filter(username=value).first()
            or User.objects.filter(email__iexact=value).order_by("pk").first()
        )
        if user is None or not user.is_active:
            raise forms.ValidationError(_("No active account has this name or address."))
        return user
