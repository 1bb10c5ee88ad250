"""The answer grid's per-column markup, built in Python (a variable the context lacks writes
nothing, as in a template loop): a template loop cost some tens of
microseconds per cell in variable lookups and localisation, and a big poll has hundreds of
header, count, score and answer cells. Each tag writes exactly what its template loop wrote
(tests/polls/test_grid_tags.py compares them)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


class _Out(dict[tuple[type, Any], str]):
    """What `{{ value }}` writes (localised, then escaped), once per distinct value: counts
    and ids repeat across cells. Keyed by type too, as 2 == Decimal("2.0") but they print
    differently."""

    def __missing__(self, key: tuple[type, Any]) -> str:
        kind, value = key
        if kind is int and not settings.USE_THOUSAND_SEPARATOR:
            # What localize() makes of an int without grouping, digits that need no escaping.
            text = self[key] = str(value)
            return text
        text = self[key] = str(conditional_escape(localize(value)))
        return text

    def __call__(self, value: object) -> str:
        return self[type(value), value]


def _items(context: template.Context, name: str) -> list[Any]:
    return list(context.get(name) or ())


@register.simple_tag(takes_context=True)
def grid_head(context: template.Context) -> SafeString:
    """The header rows' cells: the groups and one cell per option (see _grid_table.html)."""
    out = _Out()
    show = context.get("show_results")
    parts: list[str] = []
    if context.get("groups"):
        poll = context["poll"]
        parts.append('<tr class="groups"><td class="grid-zone">')
        if poll.kind == "datetime":
            parts.append(out(poll.time_zone))
        parts.extend(
            f'<th scope="colgroup" colspan="{out(g.span)}">{out(g.label)}'
            for g in _items(context, "groups")
        )
        parts.append("\n")
    parts.append(f'<tr><th scope="col">{out(gettext("Participant"))}')
    best = (
        f' <span class="star" aria-hidden="true">★</span><span class="visually-hidden">'
        f"{out(gettext('(best)'))}</span>"
    )
    for cell, col in _items(context, "columns"):
        starred = bool(col.best and show) if col is not None else False
        head = f'<th scope="col" id="h{out(cell.option.pk)}"'
        if starred:
            head += ' class="best"'
        if show:
            head += f' data-score="{out(col.score)}"'
        if cell.iso:
            head += f'><time datetime="{out(cell.iso)}"'
            if cell.iso_end:
                head += f' data-end="{out(cell.iso_end)}"'
            head += f">{out(cell.label)}</time>"
        else:
            head += f">{out(cell.label)}"
        parts.append(head + best if starred else head)
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


@register.simple_tag(takes_context=True)
def grid_foot(context: template.Context) -> SafeString:
    """The count rows (one per answer on the scale) and the score row."""
    out = _Out()
    parts: list[str] = []
    for choice, nums in _items(context, "counts"):
        parts.append(
            f'<tr><th scope="row"><span class="ico k{out(choice.colour)} i{out(choice.icon)}" '
            f'aria-hidden="true"></span>{out(choice.label)}'
        )
        parts.extend([f"<td>{out(n)}" for n in nums])
        parts.append("\n")
    parts.append(f'<tr class="score"><th scope="row">{out(gettext("Score"))}')
    for _cell, col in _items(context, "columns"):
        score = out(floatformat(col.score, "-1"))
        parts.append(f'<td class="best">{score}' if col.best else f"<td>{score}")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


@register.simple_tag(takes_context=True)
def answer_cells(context: template.Context) -> SafeString:
    """The answer row's cells: per option, a radio button per answer on the scale."""
    out = _Out()
    choices = _items(context, "choices")
    form_errors = bool(getattr(context.get("form"), "errors", None))
    # Per answer on the scale: the markup before and after the option's own parts.
    keys = [
        (str(choice.pk), out(choice.colour), out(choice.pk), out(choice.icon)) for choice in choices
    ]
    parts: list[str] = []
    for option, field, _comment in _items(context, "option_rows"):
        value = "%s" % (field.value(),)  # noqa: UP031 - the stringformat:"s" filter
        pk = out(option.pk)
        name = out(field.html_name)
        invalid = " field-invalid" if field.errors else ""
        parts.append(
            f'<td class="pick{invalid}"><div class=picks role=radiogroup aria-labelledby=l{pk}>'
        )
        for i, (key, colour, choice_pk, icon) in enumerate(keys):
            first = f" id=a{pk}" if i == 0 and form_errors else ""
            checked = " checked" if value == key else ""
            parts.append(
                f"<label class=k{colour}><input type=radio name={name} value={choice_pk}{first} "
                f'aria-labelledby="l{pk} dash k{out(i)}"{checked}><i class=i{icon}></i></label>'
            )
        parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


def _option_label(option: Any, out: _Out) -> str:
    """What polls/_option_label.html writes."""
    if option.start:
        end = f" data-end={out(option.iso_end)}" if option.end else ""
        return f"<time datetime={out(option.iso)}{end} data-when=span>{out(option.label)}</time>"
    if option.date:
        return f"<time datetime={out(date_filter(option.date, 'Y-m-d'))}>{out(option.label)}</time>"
    return out(option.label)


@register.simple_tag(takes_context=True)
def answer_notes(context: template.Context) -> SafeString:
    """The answer's comment fields, one per option, each labelled with the option."""
    out = _Out()
    parts: list[str] = []
    for option, _field, comment in _items(context, "option_rows"):
        errors = comment.errors
        parts.append('<p class="field-invalid"><label>' if errors else "<p><label>")
        parts.append(
            f"<span id=l{out(option.pk)}>{_option_label(option, out)}</span> "
            f"<input type=text name={out(comment.html_name)}"
        )
        if errors:
            parts.append(f" id={out(comment.auto_id)}")
        value = comment.value()
        if value:
            parts.append(f' value="{out(value)}"')
        parts.append("></label>")
        if errors:
            parts.append('<span class="errors">')
            parts.extend(f" {out(e)}" for e in errors)
            parts.append("</span>")
        parts.append("</p>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped
