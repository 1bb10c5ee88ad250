"""Pages behind the admin link: /<slug>/admin/<token>/..."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bitpoll.polls import access, ics, page, results, services, when
from bitpoll.polls.forms import (
    AddOptionsForm,
    BulkCommentDeleteForm,
    CopyForm,
    DeleteForm,
    PollEditForm,
    RenameOptionForm,
    ScaleFormSet,
    time_zones,
)
from bitpoll.polls.models import Option, Poll, Vote
from bitpoll.polls.views import edit_entry_page
from bitpoll.ratelimit import limits


def _url(name: str, poll: Poll, token: str, *args: object) -> str:
    return reverse(f"polls:{name}", args=[poll.slug, token, *args])


@never_cache
@require_safe
def dashboard(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    limits.check(request, "renders")
    data = page.load(poll, None)
    ctx = page.context(data, None, admin=True)
    ctx.update(
        token=token,
        public_url=request.build_absolute_uri(poll.get_absolute_url()),
        admin_url=request.build_absolute_uri(poll.admin_url(token)),
        entries=data.entries,
        entries_html=_entries_html(data.entries, poll, token, get_token(request)),
    )
    return render(request, "polls/admin/dashboard.html", ctx)


_SOME_PK = 987654321  # stands for each entry's pk in URLs reversed once


def _entries_html(entries: list[page.EntryRow], poll: Poll, token: str, csrf: str) -> SafeString:
    """The answers table's rows. Built here, not in a template loop: with 5,000 answers the
    loop's URL reversing and tags took seconds."""
    edit_head, edit_tail = _url("admin_entry", poll, token, _SOME_PK).split(f"/{_SOME_PK}/")
    delete_head, delete_tail = _url("admin_entry_delete", poll, token, _SOME_PK).split(
        f"/{_SOME_PK}/"
    )
    change, remove = escape(_("Change")), escape(_("Delete"))
    confirm = escape(_("Delete this answer for good?"))
    hidden = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
    rows = []
    zone = poll.zone
    # Each minute's text once: formatting took a quarter of the admin page of 5,000 answers.
    stamps: dict[object, str] = {}
    for entry in entries:
        name = page.escape(str(entry))
        created = entry.created
        minute = created.replace(second=0, microsecond=0)
        text = stamps.get(minute)
        if text is None:
            text = stamps[minute] = escape(when.stamp(created, zone))
        moment = f'<time datetime="{when.iso_utc(created)}" data-when="stamp">{text}</time>'
        rows.append(
            f'<tr><th scope="row">{name}</th><td>{moment}</td><td class="actions">'
            f'<a href="{edit_head}/{entry.pk}/{edit_tail}" id="entry-edit-{entry.pk}">{change}'
            f'<span class="visually-hidden"> {name}</span></a>\n'
            f'<form method="post" action="{delete_head}/{entry.pk}/{delete_tail}" data-confirm="{confirm}">'
            f'{hidden}<button type="submit" class="button-small button-secondary" '
            f'id="entry-delete-{entry.pk}">{remove}<span class="visually-hidden"> {name}</span>'
            "</button></form></td></tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    if request.method == "POST":
        form = PollEditForm(request.POST)
        if form.is_valid():
            fields = form.fields_to_save()
            if fields.get("deadline") != poll.deadline:
                # A new deadline: its reminder and its closing are still to come.
                fields.update(deadline_reminded=None, auto_closed=None)
            services.update_poll(poll, fields)
            messages.success(request, _("The poll is updated."))
            return redirect(poll.admin_url(token))
        status = 400
    else:
        form = PollEditForm(initial=PollEditForm.initial_for(poll))
        status = 200
    return render(
        request,
        "polls/admin/edit.html",
        {"poll": poll, "token": token, "form": form, "time_zones": time_zones()},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def options(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    if request.method == "POST":
        form = AddOptionsForm(request.POST, poll=poll)
        if form.is_valid():
            added = services.add_options(poll, form.cleaned_data["lines"])
            if added:
                text = ngettext("%(count)d option added.", "%(count)d options added.", added)
                messages.success(request, text % {"count": added})
            else:
                messages.info(request, _("Those options are already there."))
            return redirect(_url("admin_options", poll, token))
        status = 400
    else:
        form = AddOptionsForm(poll=poll)
        status = 200
    all_options = list(poll.options.annotate(answers=Count("votes")))
    ctx = {
        "poll": poll,
        "token": token,
        "form": form,
        "all_options": all_options,
        "existing_days": _option_days(poll, all_options),
    }
    return render(request, "polls/admin/options.html", ctx, status=status)


def _option_days(poll: Poll, options: Sequence[Option]) -> str:
    """The days that have an option (not removed), for the calendar to mark them."""
    days: set[dt.date] = set()
    for o in options:
        if o.is_deleted:
            continue
        if o.date is not None:
            days.add(o.date)
        elif o.start is not None:
            days.add(o.start.astimezone(poll.zone).date())
    return " ".join(sorted(d.isoformat() for d in days))


@require_POST
def option_remove(request: HttpRequest, slug: str, token: str, option_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    option = get_object_or_404(poll.options, pk=option_id)
    services.set_option_deleted(option, True)
    messages.success(
        request,
        _("“%(option)s” is removed. Its answers are kept if you restore it.")
        % {"option": option.label},
    )
    return redirect(_url("admin_options", poll, token))


@require_POST
def option_restore(request: HttpRequest, slug: str, token: str, option_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    option = get_object_or_404(poll.options, pk=option_id)
    services.set_option_deleted(option, False)
    messages.success(
        request, _("“%(option)s” is back, with its answers.") % {"option": option.label}
    )
    return redirect(_url("admin_options", poll, token))


@require_POST
def option_rename(request: HttpRequest, slug: str, token: str, option_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    option = get_object_or_404(poll.options, pk=option_id)
    form = RenameOptionForm(request.POST)
    if poll.kind != Poll.Kind.TEXT:
        messages.error(
            request, _("Dates and times cannot be renamed: add the new one and remove the old one.")
        )
    elif form.is_valid():
        services.rename_option(option, form.cleaned_data["line"])
        messages.success(request, _("The option is renamed; its answers are kept."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The option was not renamed: %(errors)s") % {"errors": errors})
    return redirect(_url("admin_options", poll, token))


def _int_or(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def scale(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    used = set(Vote.objects.filter(entry__poll=poll).values_list("choice_id", flat=True).distinct())
    initial = [
        {
            "id": c.pk,
            "label": c.shown_label,
            "colour": c.colour,
            "icon": c.icon,
            # 1 and 0.5, not 1.000 and 0.500
            "weight": c.weight.normalize(),
            "position": position,
        }
        for position, c in enumerate(poll.choices.all(), start=1)
    ]
    if request.method == "POST" and "add_row" in request.POST:
        # One more empty row, keeping what was typed; nothing is saved yet.
        data = request.POST.copy()
        total = _int_or(data.get("form-TOTAL_FORMS"), 0)
        if total < ScaleFormSet.max_num:
            data["form-TOTAL_FORMS"] = str(total + 1)
            # A look the default scales do not use, as for a new row in ChoiceForm.
            data.update({f"form-{total}-colour": "b", f"form-{total}-icon": "q"})
            data[f"form-{total}-weight"] = "0"
        formset = ScaleFormSet(data, initial=initial, poll=poll, used=used)
        status = 200
    elif request.method == "POST":
        formset = ScaleFormSet(request.POST, initial=initial, poll=poll, used=used)
        if formset.is_valid():
            keep, add = formset.result()
            services.set_scale(poll, keep, add)
            messages.success(request, _("The answer scale is updated."))
            return redirect(poll.admin_url(token))
        status = 400
    else:
        formset = ScaleFormSet(initial=initial, poll=poll, used=used)
        status = 200
    ctx = {"poll": poll, "token": token, "formset": formset}
    return render(request, "polls/admin/scale.html", ctx, status=status)


@require_POST
def close(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    poll.close()
    messages.success(request, _("The poll is closed: no new answers or changes."))
    return redirect(poll.admin_url(token))


@require_POST
def reopen(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    poll.reopen()
    if poll.deadline_passed():
        messages.warning(
            request,
            _(
                "The poll is reopened, but its deadline has passed: change the deadline to take answers."
            ),
        )
    else:
        messages.success(request, _("The poll is open again."))
    return redirect(poll.admin_url(token))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    if request.method == "POST":
        form = DeleteForm(request.POST)
        if form.is_valid():
            title = poll.title
            services.delete_poll(poll)
            messages.success(request, _("The poll “%(title)s” is deleted.") % {"title": title})
            return redirect("home")
        status = 400
    else:
        form = DeleteForm()
        status = 200
    return render(
        request,
        "polls/admin/delete.html",
        {"poll": poll, "token": token, "form": form},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def copy(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    if request.method == "POST":
        form = CopyForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    limits.check(request, "polls")
                    new, new_token = services.copy_poll(
                        poll, form.cleaned_data["title"], form.cleaned_data["days"]
                    )
            except ValidationError as exc:
                # A moved time the clocks skip: refused as the create form refuses it.
                form.add_error("days", exc)
            except (OverflowError, ValueError):
                form.add_error("days", _("That moves the options out of the supported range."))
            else:
                messages.success(
                    request, _("This is your copy. It has its own public and admin links.")
                )
                return redirect(new.admin_url(new_token))
        status = 400
    else:
        title = _("Copy of %(title)s") % {"title": poll.title}
        form = CopyForm(initial={"title": title[:200]})
        status = 200
    return render(
        request,
        "polls/admin/copy.html",
        {"poll": poll, "token": token, "form": form},
        status=status,
    )


def _filename(poll: Poll, ext: str) -> str:
    return f"{slugify(poll.title)[:50] or poll.slug}.{ext}"


def _csv_cell(value: str) -> str:
    # Spreadsheets run cells that start with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


CSV_ROWS_PER_CHUNK = 500


class _Echo:
    """A file-like object whose write() hands back what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


@never_cache
@require_safe
def export_csv(request: HttpRequest, slug: str, token: str) -> HttpResponseBase:
    poll = access.get_poll_for_admin(slug, token, request)
    limits.check(request, "renders")
    data = page.load(poll, None)
    content_type = "text/csv; charset=utf-8"
    response: HttpResponseBase
    if len(data.grid.rows) > CSV_ROWS_PER_CHUNK:
        response = StreamingHttpResponse(_csv_lines(data), content_type=content_type)
    else:
        response = HttpResponse(b"".join(_csv_lines(data)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(poll, "csv")}"'
    return response


def _csv_lines(data: page.PageData) -> Iterator[bytes]:
    """The CSV, a few hundred rows at a time: a poll of 5,000 answers is megabytes."""
    writer = csv.writer(_Echo())
    raw = {results.answer_char(i): c.label for i, c in enumerate(data.choices)}
    raw[results.UNANSWERED] = ""
    label = {char: _csv_cell(text) for char, text in raw.items()}
    anonymous = _csv_cell(_("Anonymous"))
    yield "\ufeff".encode()  # the byte order mark tells spreadsheets the file is UTF-8
    lines = [writer.writerow([_("Participant"), *(_csv_cell(o.label) for o in data.options)])]
    for number, row in enumerate(data.grid.rows, start=1):
        cells = [label[a] for a in row.answers]
        for note in row.notes:
            cells[note.column] = _csv_cell(f"{raw[row.answers[note.column]]} ({note.text})")
        lines.append(writer.writerow([_csv_cell(row.name) if row.name else anonymous, *cells]))
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield "".join(lines).encode()
            lines = []
    for i, choice in enumerate(data.choices):
        lines.append(
            writer.writerow(
                [_csv_cell(choice.label), *(col.counts[i] for col in data.grid.columns)]
            )
        )
    lines.append(
        writer.writerow([_("Score"), *(f"{col.score.normalize():f}" for col in data.grid.columns)])
    )
    yield "".join(lines).encode()


def _ics_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " "
        current += ch
    out.append(current)
    return "\r\n".join(out)


@never_cache
@require_safe
def export_ics(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    if poll.kind == Poll.Kind.TEXT:
        raise Http404
    limits.check(request, "renders")
    if poll.is_decided:
        # Once decided, the export holds only the decided event(s), as the .ics link does.
        decided = HttpResponse(
            ics.calendar(poll, poll.final_options()).encode(),
            content_type="text/calendar; charset=utf-8",
        )
        decided["Content-Disposition"] = f'attachment; filename="{_filename(poll, "ics")}"'
        return decided
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    host = request.get_host().split(":")[0]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Bitpoll//Bitpoll//EN",
        "CALSCALE:GREGORIAN",
    ]
    url = request.build_absolute_uri(poll.get_absolute_url())
    for option in poll.options.filter(is_deleted=False):
        lines += ["BEGIN:VEVENT", f"UID:bitpoll-{poll.pk}-{option.pk}@{host}", f"DTSTAMP:{stamp}"]
        if option.date is not None:
            lines.append(f"DTSTART;VALUE=DATE:{option.date:%Y%m%d}")
            lines.append(f"DTEND;VALUE=DATE:{option.date + dt.timedelta(days=1):%Y%m%d}")
        elif option.start is not None:
            lines.append(f"DTSTART:{option.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
            if option.end is not None:
                lines.append(f"DTEND:{option.end.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
        lines.append(f"SUMMARY:{_ics_text(poll.title)}")
        lines.append(f"URL:{url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    body = "\r\n".join(_fold(line) for line in lines) + "\r\n"
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(poll, "ics")}"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def entry_edit(request: HttpRequest, slug: str, token: str, entry_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    entry = get_object_or_404(poll.entries, pk=entry_id)
    return edit_entry_page(
        request,
        poll,
        entry,
        action=_url("admin_entry", poll, token, entry.pk),
        delete_action=_url("admin_entry_delete", poll, token, entry.pk),
        done_url=poll.admin_url(token),
        admin=True,
    )


@require_POST
def entry_delete(request: HttpRequest, slug: str, token: str, entry_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    entry = get_object_or_404(poll.entries, pk=entry_id)
    services.delete_entry(entry)
    messages.success(request, _("The answer is deleted."))
    return redirect(poll.admin_url(token))


@require_POST
def comment_delete(request: HttpRequest, slug: str, token: str, comment_id: int) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token, request)
    comment = get_object_or_404(poll.comments, pk=comment_id)
    services.delete_comment(comment)
    messages.success(request, _("The comment is deleted."))
    return redirect(f"{poll.admin_url(token)}#comments")


@require_POST
def comments_delete(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Delete the comments ticked on the admin page, all at once (after a spam wave)."""
    poll = access.get_poll_for_admin(slug, token, request)
    form = BulkCommentDeleteForm(request.POST)
    if form.is_valid():
        count = services.delete_comments(poll, form.cleaned_data["comment"])
        text = ngettext("%(count)d comment deleted.", "%(count)d comments deleted.", count)
        messages.success(request, text % {"count": count})
    else:
        messages.error(request, _("Tick the comments to delete first."))
    return redirect(f"{poll.admin_url(token)}#comments")
