"""The site answers at all: home page and health endpoint through Django's test client."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_renders_the_home_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Bitpoll" in response.content


def test_it_answers_healthz_without_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_it_names_the_page_and_the_site_in_the_title(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert b"<title>Find a date, ask a question \xc2\xb7 Bitpoll</title>" in response.content
