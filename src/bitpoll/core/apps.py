from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "bitpoll.core"
    label = "core"
    verbose_name = _("Bitpoll")

    def ready(self) -> None:
        from bitpoll.core import checks  # noqa: F401 - registers the system checks
