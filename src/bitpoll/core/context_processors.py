from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from bitpoll import __version__


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "bitpoll_version": __version__,
        "base_url": settings.BASE_URL,
        "site_links": site_links(),
    }


def site_links() -> list[tuple[str, str]]:
    """The footer's links: the operator's pages that are configured, then their own link."""
    from bitpoll.core.views import PAGE_TITLES  # views import models; keep this module light

    links = [
        (reverse(page), str(PAGE_TITLES[page]))
        for page in ("about", "imprint", "privacy")
        if settings.SITE_PAGES.get(page)
    ]
    if settings.FOOTER_LINK:
        links.append(settings.FOOTER_LINK)
    return links
