from functools import lru_cache

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_safe

from bitpoll.polls.listing import listed_polls
from bitpoll.polls.models import render_markdown

PAGE_TITLES = {
    "about": _("About this site"),
    "imprint": _("Imprint"),
    "privacy": _("Privacy notice"),
}


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    polls = list(listed_polls()) if settings.PUBLIC_POLL_LIST else []
    return render(request, "core/home.html", {"listed_polls": polls})


@lru_cache(maxsize=8)
def _page_html(text: str) -> str:
    return render_markdown(text)


@require_safe
def site_page(request: HttpRequest, page: str) -> HttpResponse:
    """A page the operator wrote (BITPOLL_ABOUT, _IMPRINT, _PRIVACY); 404 while unset."""
    text = settings.SITE_PAGES.get(page)
    if not text:
        raise Http404
    ctx = {"page_title": PAGE_TITLES[page], "page_html": _page_html(text), "page": page}
    return render(request, "core/site_page.html", ctx)


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, request=request), status=status)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """500 in the site's layout and language. Rendered with the request (for the language
    switcher and footer), unlike Django's default; if that fails too, plain text."""
    try:
        return _error_page(request, "500.html", 500)
    except Exception:  # the page for errors must not raise an error of its own
        return HttpResponse(
            "Server error. Please try again later.", status=500, content_type="text/plain"
        )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and systemd: answers without touching the database."""
    return HttpResponse("ok\n", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 in the site's layout; a host missing from the allowed hosts is named as such."""
    wrong_host = isinstance(exception, DisallowedHost)
    return render(request, "400.html", {"wrong_host": wrong_host}, status=400)
