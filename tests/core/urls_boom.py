"""The site's URLs plus one view that fails, to see the 500 page the way visitors do."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from bitpoll.urls import handler500
from bitpoll.urls import urlpatterns as site_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *site_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
