from typing import Any

from django.contrib.staticfiles.management.commands import collectstatic

from bitpoll.core import staticstamp


class Command(collectstatic.Command):
    help = (
        "Collect static files into BITPOLL_STATIC_ROOT with hashed, compressed copies, and stamp "
        "them so that `bitpoll serve` knows they match the installed code."
    )

    def handle(self, **options: Any) -> str | None:
        result = super().handle(**options)
        if not options.get("dry_run"):
            staticstamp.write()
        return result
