from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RateLimitConfig(AppConfig):
    name = "bitpoll.ratelimit"
    label = "ratelimit"
    verbose_name = _("Rate limits")

    def ready(self) -> None:
        from bitpoll.ratelimit import checks  # noqa: F401 - registers the deploy check
