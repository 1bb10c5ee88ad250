"""The rest of a poll page's first render, done once before `bitpoll serve` forks (issue 16).

`pagecache.warm_up` renders polls/poll.html for a poll without options, answers or comments,
so what only a real poll's page uses was still left to the first visitor of every worker: the
templates included inside `{% if %}` blocks (the answer form, its rows, the comments), the
form widgets' templates (compiled by the form renderer's own template engine, which that
engine is too), the default answers' English labels and a few modules imported on first
use. Done here, once, the workers share them with the master instead of each compiling and
holding its own copy.

Only what the default language needs: the other languages' catalogs (about 4 ms of CPU and
0.4 MB each) and URL maps are loaded by each worker's first visitor in that language (about
10 ms more for that page), which costs the server about 0.7 MB of PSS in all and saves 20-25
ms of CPU before the fork on every start (issue 16, fifth round). A label written in English
is its own source (`Choice.shown_label`), so the first page in English reads no other catalog;
a label of the poll's own, or one in another language, reads them all.

None of it needs the database. A failure here only leaves that work to the first request, so
it is logged and serve goes on.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.template import Template, TemplateDoesNotExist, engines
from django.template.base import Variable
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils import translation
from django.utils.module_loading import import_string

log = logging.getLogger("bitpoll.serve")

# Templates whose whole tree of constant {% include %}s the poll page may render.
POLL_PAGE_TEMPLATES = ("polls/poll.html", "polls/_account.html")

# Imported by the poll page's first request: the template engine's context processors (named
# in settings, imported when first used) and what the response's cookies need.
FIRST_REQUEST_MODULES = (
    "django.db.models.sql.compiler",
    "django.contrib.sessions.serializers",
)


def _constant_name(expression: object) -> str | None:
    """The template name of an include or extends tag when it is a string literal."""
    var = getattr(expression, "var", None)
    if getattr(expression, "filters", None):
        return None
    if isinstance(var, Variable):  # a quoted string is resolved when the tag is compiled
        var = var.literal
    return str(var) if isinstance(var, str) else None


def compile_tree(engine: object, names: Iterable[str]) -> set[str]:
    """Compile the templates `names` and everything they include or extend by a constant
    name, through `engine`'s cached loader; return the names compiled (or found compiled)."""
    pending = list(names)
    done: set[str] = set()
    while pending:
        name = pending.pop()
        if name in done:
            continue
        done.add(name)
        try:
            template: Template = engine.get_template(name)  # type: ignore[attr-defined]
        except TemplateDoesNotExist:
            continue
        expressions = [
            node.template  # type: ignore[attr-defined]
            for node in template.nodelist.get_nodes_by_type(IncludeNode)
        ]
        expressions += [
            node.parent_name  # type: ignore[attr-defined]
            for node in template.nodelist.get_nodes_by_type(ExtendsNode)
        ]
        pending.extend(name for name in map(_constant_name, expressions) if name is not None)
    return done


def _form_widgets() -> None:
    """Render the poll page's form fields once: builds the form renderer's template engine
    and compiles the widget templates (input, attrs, textarea...)."""
    from bitpoll.polls.forms import AnswerForm, CommentForm
    from bitpoll.polls.models import Poll

    poll = Poll(slug="warm-up", title="", kind=Poll.Kind.TEXT, time_zone="UTC")
    answer = AnswerForm(poll=poll, option_ids=(), choice_ids=())
    answer._option_field("c0")  # an option's comment field, as the grid shows it
    for form in (answer, CommentForm()):
        for field in form:
            str(field)


def warm_up_poll_page() -> None:
    try:
        compile_tree(engines["django"].engine, POLL_PAGE_TEMPLATES)  # type: ignore[attr-defined]
        with translation.override(settings.LANGUAGE_CODE):
            _form_widgets()
        # Not _default_labels: it reads every language's catalog (see the docstring).
        from bitpoll.polls.models import _source_labels

        _source_labels()
        engines["django"].engine.template_context_processors  # type: ignore[attr-defined]  # noqa: B018
        import_string(settings.MESSAGE_STORAGE)
        for module in FIRST_REQUEST_MODULES:
            importlib.import_module(module)
    except Exception:  # an optimisation: the first request does it instead
        log.warning("Could not prepare the poll page before starting the workers.", exc_info=True)
