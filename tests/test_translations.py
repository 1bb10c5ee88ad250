"""The German and Italian catalogues are complete, compiled, and what their visitors get.

The catalogue is read with a small PO parser of our own, so the test needs no extra package;
`xgettext` (GNU gettext) is needed only for the check against the source.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import template

import bitpoll

PACKAGE = Path(bitpoll.__file__).resolve().parent
# Every language Bitpoll ships besides English; each must be as complete as the others.
LANGUAGES = ["de", "it"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|%%")
# The keywords Django's makemessages passes to xgettext, besides xgettext's defaults.
KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """The German and Italian requests leave their language active in this thread; the tests
    that run after these (other modules too) expect English."""
    yield
    translation.deactivate()


@dataclass
class Entry:
    fields: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.fields.get("msgctxt", ""), self.fields["msgid"]

    @property
    def translations(self) -> list[str]:
        return [v for k, v in self.fields.items() if k.startswith("msgstr")]


def parse_po(text: str) -> list[Entry]:
    entries: list[Entry] = []
    entry, key = Entry(), ""
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry.fields:
                entries.append(entry)
            entry, key = Entry(), ""
            continue
        if line.startswith("#~"):
            # An obsolete entry: makemessages keeps it commented out; read it all the same.
            entry.obsolete = True
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry.fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry.fields[key] = ast.literal_eval(value)
    return entries


def catalogue_dir(language: str) -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES"


def catalogue(language: str) -> list[Entry]:
    return parse_po((catalogue_dir(language) / "django.po").read_text(encoding="utf-8"))


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.fields.get("msgid")]


def test_it_ships_every_language_it_offers() -> None:
    from django.conf import settings

    assert sorted(code for code, _name in settings.LANGUAGES if code != "en") == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_has_a_catalogue_with_a_header(language: str) -> None:
    entries = catalogue(language)
    header = next(e for e in entries if e.fields.get("msgid") == "")
    assert f"Language: {language}\n" in header.fields["msgstr"]
    assert "nplurals=2; plural=(n != 1);" in header.fields["msgstr"]
    assert len(messages(entries)) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_every_entry_and_leaves_nothing_fuzzy(language: str) -> None:
    entries = catalogue(language)
    untranslated = [e.key for e in messages(entries) if not all(e.translations)]
    fuzzy = [e.key for e in entries if "fuzzy" in e.flags]
    obsolete = [e.key for e in entries if e.obsolete]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_keeps_every_placeholder(language: str) -> None:
    mismatched = [
        e.key
        for e in messages(catalogue(language))
        for text in e.translations
        if sorted(PLACEHOLDER.findall(text))
        != sorted(PLACEHOLDER.findall(e.fields.get("msgid_plural", e.fields["msgid"])))
        and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e.fields["msgid"]))
    ]
    assert mismatched == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_ships_a_compiled_catalogue_that_matches_the_po_file(language: str) -> None:
    with open(catalogue_dir(language) / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in messages(catalogue(language)):
        msgid = entry.fields["msgid"]
        if "msgctxt" in entry.fields:
            got = compiled.pgettext(entry.fields["msgctxt"], msgid)
            want = entry.fields["msgstr"]
        elif "msgid_plural" in entry.fields:
            plural = entry.fields["msgid_plural"]
            got = compiled.ngettext(msgid, plural, 1) + compiled.ngettext(msgid, plural, 2)
            want = entry.fields["msgstr[0]"] + entry.fields["msgstr[1]"]
        else:
            got, want = compiled.gettext(msgid), entry.fields["msgstr"]
        if got != want:
            stale.append(msgid)
    assert stale == [], "run compilemessages: django.mo is older than django.po"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (gettext) is not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_has_every_translatable_string_of_the_source(tmp_path: Path, language: str) -> None:
    """What `makemessages -l <language>` would extract is all in the catalogue."""
    sources = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix == ".py":
            sources.append(path)
        elif path.suffix in (".html", ".txt") and "templates" in path.parts:
            # As makemessages does: templates become Python-like text for xgettext.
            copy = tmp_path / (str(path.relative_to(PACKAGE)).replace("/", "__") + ".py")
            copy.write_text(template.templatize(path.read_text(encoding="utf-8"), origin=str(path)))
            sources.append(copy)
    result = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            *(f"--keyword={k}" for k in KEYWORDS),
            "--output=-",
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    in_source = {e.key for e in messages(parse_po(result.stdout))}
    in_catalogue = {e.key for e in messages(catalogue(language))}
    assert len(in_source) > 100
    assert sorted(in_source - in_catalogue) == [], f"run makemessages -l {language} and translate"


@pytest.mark.django_db
def test_it_shows_the_home_page_in_german(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert "Einen Termin finden. Eine Frage stellen. Gemeinsam." in html
    assert "Umfrage erstellen" in html
    assert "Create a poll" not in html


@pytest.mark.django_db
def test_it_shows_the_create_page_in_german(client: Client) -> None:
    response = client.get("/new/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Worum geht es?", "Titel", "Tage und Uhrzeiten", "Zeitzone", "Einstellungen"):
        assert text in html
    for text in ("What is it about?", "Time zone", "Create the poll"):
        assert text not in html


@pytest.mark.django_db
def test_it_stays_english_for_english_visitors(client: Client) -> None:
    html = client.get("/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What is it about?" in html
    assert "Worum geht es?" not in html


@pytest.mark.django_db
def test_it_shows_the_home_and_create_pages_in_italian(client: Client) -> None:
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")
    assert home["Content-Language"] == "it"
    html = home.content.decode()
    assert '<html lang="it">' in html
    assert "Trova una data. Fai una domanda. Insieme." in html
    assert "Create a poll" not in html
    html = client.get("/new/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    for text in (
        "Di che cosa si tratta?",
        "Titolo",
        "Date e orari",
        "Fuso orario",
        "Crea il sondaggio",
    ):
        assert text in html
    assert "What is it about?" not in html
