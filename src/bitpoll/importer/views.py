"""Permanent redirects from the original Bitpoll's links to the imported polls.

Every public URL pattern of the original that names a poll leads to the imported poll's page
here (the CSV export to the results list). Nothing else is carried over: a link that let
anyone edit an ownerless poll in the original (settings, choices, values, delete, copy, vote
edit) leads to the poll page, where the rules of this Bitpoll apply. Unknown link names are 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from bitpoll.importer.models import LegacyPoll

# POST too: the original's forms posted to these paths, and a stale form should land on the
# poll page rather than fail; the redirect is a 301 either way (browsers then GET).
_METHODS = ["GET", "HEAD", "POST"]


@require_http_methods(_METHODS)
def to_poll(request: HttpRequest, slug: str, **kwargs: object) -> HttpResponsePermanentRedirect:
    legacy = get_object_or_404(LegacyPoll.objects.select_related("poll"), old_slug=slug)
    return HttpResponsePermanentRedirect(reverse("polls:poll", args=[legacy.poll.slug]))


@require_http_methods(_METHODS)
def to_results(request: HttpRequest, slug: str) -> HttpResponsePermanentRedirect:
    legacy = get_object_or_404(LegacyPoll.objects.select_related("poll"), old_slug=slug)
    return HttpResponsePermanentRedirect(reverse("polls:results_list", args=[legacy.poll.slug]))
