from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands import runserver

from bitpoll.core.management.commands.serve import collect_static_if_needed


class Command(runserver.Command):
    help = (
        "Development server with autoreload. With BITPOLL_DEBUG=true it serves static files "
        "from the source tree; without, it collects them first (as `bitpoll serve` does), "
        "since pages then link the hashed names that only collected files have."
    )

    def inner_run(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            collect_static_if_needed()
        super().inner_run(*args, **options)
