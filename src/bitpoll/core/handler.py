"""Django's WSGI handler, with a cheaper reading of submitted forms.

Every answer, comment and admin change arrives as an url-encoded form. Django's QueryDict adds
each field through four levels of methods that check, again for every field, that the dict may
be changed and that its key and value are text; for an answer's dozen fields that was a
twentieth of the request. `parse_form` fills the same QueryDict directly from the same parser
(urllib's, with Django's limit on the number of fields); everything else, multipart bodies
included, is read by Django as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import django
from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

FORM = "application/x-www-form-urlencoded"


def parse_form(body: bytes) -> QueryDict:
    """The immutable QueryDict Django makes of an url-encoded body: QueryDict(body, "utf-8")."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")  # as Django reads it
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as error:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from error
    form = QueryDict(mutable=True, encoding="utf-8")
    lists: dict[str, list[str]] = form  # type: ignore[assignment] # a MultiValueDict is a dict of lists
    # parse_qsl gives text already.
    for key, value in pairs:
        values = dict.get(lists, key)
        if values is None:
            dict.__setitem__(lists, key, [value])
        else:
            values.append(value)
    form._mutable = False
    return form


class Request(WSGIRequest):
    def _load_post_and_files(self) -> None:
        if (
            self.method == "POST"
            and self.content_type == FORM
            and (self.encoding is None or self.encoding.lower() == "utf-8")
            and not (getattr(self, "_read_started", False) and not hasattr(self, "_body"))
        ):
            self._post = parse_form(self.body)
            self._files: MultiValueDict[str, Any] = MultiValueDict()
            return
        super()._load_post_and_files()  # type: ignore[misc]


class WSGIHandler(DjangoWSGIHandler):
    request_class = Request


def get_wsgi_application() -> Any:
    """django.core.wsgi.get_wsgi_application(), with this handler."""
    django.setup(set_prefix=False)
    return WSGIHandler()
