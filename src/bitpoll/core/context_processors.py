from django.conf import settings
from django.http import HttpRequest

from bitpoll import __version__


def site(request: HttpRequest) -> dict[str, object]:
    return {"bitpoll_version": __version__, "base_url": settings.BASE_URL}
