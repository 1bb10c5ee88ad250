from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "bitpoll.mail"
    label = "mail"
    verbose_name = _("Outgoing mail")

    def ready(self) -> None:
        from bitpoll.mail import checks  # noqa: F401 - registers the deploy checks
