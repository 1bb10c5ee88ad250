"""404, 500, 400 and 403 in the site's layout and the visitor's language, with a way home.

DEBUG is off in the tests (as in production), so Django uses the real handlers.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_runs_without_debug() -> None:
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    ("language", "heading", "home"),
    [
        ("en", "This page does not exist", "Go to the home page"),
        ("de", "Diese Seite gibt es nicht", "Zur Startseite"),
        ("it", "Questa pagina non esiste", "Vai alla pagina iniziale"),
    ],
)
def test_it_shows_a_styled_translated_404_with_a_way_home(
    client: Client, language: str, heading: str, home: str
) -> None:
    response = client.get("/no-such-poll-here/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert f'id="error-home" href="/">{home}</a>' in html
    assert "/static/bitpoll/css/bitpoll." in html  # the site's stylesheet, not a bare page
    assert 'class="site-footer"' in html


@pytest.mark.urls("core.urls_boom")
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Something went wrong on our side"), ("de", "Bei uns ist etwas schiefgegangen")],
)
def test_it_shows_a_styled_translated_500_with_a_way_home(language: str, heading: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert 'id="error-home" href="/"' in html
    assert "RuntimeError" not in html and "a bug" not in html


def test_it_shows_the_400_page_for_a_bad_host(client: Client) -> None:
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Diese Seite ist unter diesem Namen nicht erreichbar" in html
    assert 'id="error-home"' in html


def test_it_has_a_403_page_in_the_layout() -> None:
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.utils import translation
    from django.views.defaults import permission_denied

    request = RequestFactory().get("/")
    with translation.override("de"):
        response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Das dürfen Sie hier nicht" in html and 'id="error-home"' in html


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "This form has expired"), ("de", "Dieses Formular ist abgelaufen")],
)
def test_it_explains_a_stale_form_in_the_layout(language: str, heading: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/new/", {"title": "x"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    html = response.content.decode()
    assert heading in html and 'id="error-home"' in html
    assert 'class="site-footer"' in html
