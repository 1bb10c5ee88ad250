"""The operator's pages (about, imprint, privacy notice) and the footer link."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

from bitpoll import conf
from serverutil import clean_env, run_bitpoll

pytestmark = pytest.mark.django_db

PAGES = {"about": None, "imprint": None, "privacy": None}


def test_it_hides_pages_and_links_that_are_not_configured(client: Client) -> None:
    with override_settings(SITE_PAGES=PAGES, FOOTER_LINK=None):
        html = client.get("/").content.decode()
        for path in ("/about/", "/about/imprint/", "/about/privacy/"):
            assert client.get(path).status_code == 404
            assert f'href="{path}"' not in html
        assert 'class="footer-links"' not in html


def test_it_renders_a_configured_page_sanitised_and_links_it_in_the_footer(
    client: Client,
) -> None:
    imprint = "Run by **Example e.V.**, Musterstraße 1.\n\n<script>alert(1)</script>\n\n[Mail](mailto:a@example.org)"
    with override_settings(SITE_PAGES={**PAGES, "imprint": imprint}, FOOTER_LINK=None):
        response = client.get("/about/imprint/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<h1 id="site-page-title">Imprint</h1>' in html
        assert "<strong>Example e.V.</strong>" in html
        assert "<script>alert" not in html
        assert 'href="mailto:a@example.org"' in html
        home = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert '<a href="/about/imprint/">Impressum</a>' in home
        assert 'href="/about/privacy/"' not in home


def test_it_adds_the_operators_footer_link(client: Client) -> None:
    link = ("https://example.org/contact", "Contact & help")
    with override_settings(SITE_PAGES=PAGES, FOOTER_LINK=link):
        html = client.get("/new/").content.decode()
    assert '<a href="https://example.org/contact">Contact &amp; help</a>' in html


def test_it_reads_a_page_from_a_file(tmp_path: Path) -> None:
    page = tmp_path / "privacy.md"
    page.write_text("We keep **nothing** we do not need.\n", encoding="utf-8")
    assert conf.env_page("PRIVACY", {"BITPOLL_PRIVACY_FILE": str(page)}) == page.read_text()
    assert conf.env_page("PRIVACY", {"BITPOLL_PRIVACY": "Inline *text*"}) == "Inline *text*"
    assert conf.env_page("PRIVACY", {}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BITPOLL_ABOUT_FILE": "relative.md"},
            "BITPOLL_ABOUT_FILE='relative.md' is not valid: expected an absolute path",
        ),
        (
            {"BITPOLL_ABOUT_FILE": "/nonexistent/about.md"},
            "BITPOLL_ABOUT_FILE='/nonexistent/about.md' cannot be read",
        ),
        (
            {"BITPOLL_ABOUT": "x", "BITPOLL_ABOUT_FILE": "/x"},
            "are both set: expected only one of them",
        ),
    ],
)
def test_it_refuses_bad_page_settings_with_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(conf.ConfigError) as caught:
        conf.env_page("ABOUT", env)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_it_refuses_an_empty_page_file(tmp_path: Path) -> None:
    empty = tmp_path / "about.md"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(conf.ConfigError, match="is empty"):
        conf.env_page("ABOUT", {"BITPOLL_ABOUT_FILE": str(empty)})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        (
            {"BITPOLL_FOOTER_LINK_URL": "https://example.org/", "BITPOLL_FOOTER_LINK_TEXT": "Us"},
            ("https://example.org/", "Us"),
        ),
        (
            {"BITPOLL_FOOTER_LINK_URL": "/about/", "BITPOLL_FOOTER_LINK_TEXT": "About"},
            ("/about/", "About"),
        ),
    ],
)
def test_it_reads_the_footer_link(env: dict[str, str], expected: object) -> None:
    assert conf.env_link("FOOTER_LINK_URL", "FOOTER_LINK_TEXT", env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BITPOLL_FOOTER_LINK_URL": "https://example.org/"},
            "BITPOLL_FOOTER_LINK_URL is set but BITPOLL_FOOTER_LINK_TEXT is not",
        ),
        (
            {"BITPOLL_FOOTER_LINK_TEXT": "Us"},
            "BITPOLL_FOOTER_LINK_TEXT is set but BITPOLL_FOOTER_LINK_URL is not",
        ),
        (
            {"BITPOLL_FOOTER_LINK_URL": "javascript:alert(1)", "BITPOLL_FOOTER_LINK_TEXT": "Us"},
            "expected an http:// or https:// URL",
        ),
        (
            {"BITPOLL_FOOTER_LINK_URL": "//evil.example/", "BITPOLL_FOOTER_LINK_TEXT": "Us"},
            "expected an http:// or https:// URL",
        ),
    ],
)
def test_it_refuses_a_bad_footer_link(env: dict[str, str], message: str) -> None:
    with pytest.raises(conf.ConfigError) as caught:
        conf.env_link("FOOTER_LINK_URL", "FOOTER_LINK_TEXT", env)
    assert message in str(caught.value)


def test_the_command_stops_with_one_line_on_a_missing_page_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "imprint.md")
    result = run_bitpoll(["check"], clean_env(tmp_path / "data", BITPOLL_IMPRINT_FILE=missing))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"BITPOLL_IMPRINT_FILE={missing!r} cannot be read" in lines[0]
