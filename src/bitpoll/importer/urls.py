"""The original Bitpoll's poll URLs (SCHEMA.md), mounted at the site root after the polls' own.

Trailing slashes are optional where the original had one (its APPEND_SLASH redirected a missing
slash); `<slug>` is the original's `[a-zA-Z0-9_-]+`, case-sensitive.
"""

from django.urls import re_path

from bitpoll.importer import views

app_name = "importer"

_SLUG = r"(?P<slug>[a-zA-Z0-9_-]+)"
_ID = r"[0-9]+"

# Paths below /poll/<slug>/ of the original, each leading to the poll page.
_POLL_PAGES = (
    r"",
    r"vote/",
    rf"vote/{_ID}/edit/",
    rf"vote/{_ID}/delete/",
    rf"vote/{_ID}/assign/",
    r"comment/",
    rf"comment/{_ID}/edit/",
    rf"comment/{_ID}/delete/",
    r"watch/",
    r"settings/",
    r"edit/choices/",
    r"edit/choices/universal/",
    r"edit/choices/date/",
    r"edit/choices/dateTime/date/",
    r"edit/choices/dateTime/time/",
    r"edit/choices/dateTime/combinations/",
    r"delete/",
    r"copy/",
)


def _optional_slash(path: str) -> str:
    return path[:-1] + "/?" if path.endswith("/") else path


# The paths below /poll/<slug>/ as one pattern: Django's URL map works out how to reverse each
# pattern when the server starts, and one alternation costs a seventeenth of seventeen.
_BELOW = "|".join(
    [
        *(_optional_slash(path) for path in _POLL_PAGES[1:]),
        # Prefix matches in the original: anything may follow.
        r"edit/choicevalues(?:/.*)?",
        r"edit/choicevalues_create.*",
    ]
)

urlpatterns = [
    # The original's CSV pattern has an unescaped dot: any one character before "csv".
    re_path(rf"^poll/{_SLUG}.csv$", views.to_results, name="csv"),
    re_path(rf"^poll/{_SLUG}/?$", views.to_poll, name="poll"),
    re_path(rf"^poll/{_SLUG}/(?:{_BELOW})$", views.to_poll),
    re_path(rf"^invitations/{_SLUG}/?$", views.to_poll, name="invitations"),
    re_path(rf"^invitations/{_SLUG}/send/?$", views.to_poll),
]
