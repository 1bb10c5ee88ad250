from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "bitpoll.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Registers the single sign-on deployment checks and admin pages.
        from bitpoll.accounts import admin_sso, checks  # noqa: F401
