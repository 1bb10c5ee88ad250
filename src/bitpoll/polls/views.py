"""Public pages: create a poll, read it, answer, edit one's answer, comment."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bitpoll.mail import outbox
from bitpoll.polls import (
    access,
    lifecycle,
    mail_views,
    notify,
    page,
    pagecache,
    services,
    sql,
    tokens,
)
from bitpoll.polls.forms import AnswerForm, CommentForm, PollCreateForm, time_zones
from bitpoll.polls.models import DEFAULT_SCALE, YES_NO_SCALE, AnswerAccess, Entry, Poll, Watch
from bitpoll.polls.names import name_key
from bitpoll.ratelimit import limits

MAX_ANSWERS_PER_POLL = 5000


@require_http_methods(["GET", "HEAD", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PollCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Counted in the same transaction: a poll that is not created does not count.
                owner = _account(request)
                with transaction.atomic():
                    limits.check(request, "polls")
                    poll, token = services.create_poll(
                        title=data["title"],
                        description=data["description"],
                        kind=data["kind"],
                        time_zone=data["time_zone"],
                        options=data["parsed_options"],
                        scale=YES_NO_SCALE if data["scale"] == "yesno" else DEFAULT_SCALE,
                        slug=data["slug"],
                        owner=owner,
                        **data["settings"],
                        **_mail_settings(request, data),
                    )
                    _poll_created(poll, token, data)
                    if owner is not None and _watches_by_default(owner):
                        Watch.objects.create(poll=poll, user=owner)
            except services.SlugTaken:
                form.add_error("slug", _("This link name is taken. Pick another."))
            else:
                messages.success(
                    request,
                    _(
                        "Your poll is ready. Share the public link; keep the admin link to yourself."
                    ),
                )
                return redirect(poll.admin_url(token))
        status = 400
    else:
        form = PollCreateForm()
        status = 200
    ctx = {"form": form, "time_zones": time_zones(), "mail_enabled": outbox.enabled()}
    return render(request, "polls/create.html", ctx, status=status)


def _mail_settings(request: HttpRequest, data: dict[str, object]) -> dict[str, object]:
    """The poll fields the create form's e-mail part sets (none when no mail is sent)."""
    fields: dict[str, object] = {"language": getattr(request, "LANGUAGE_CODE", "en")}
    if outbox.enabled():
        fields["creator_email"] = data.get("creator_email") or ""
        fields["remind_hours"] = data.get("remind_hours")
    return fields


def _poll_created(poll: Poll, token: str, data: dict[str, object]) -> None:
    if poll.creator_email:
        notify.created(poll, token)
        if data.get("watch"):
            lifecycle.watch(poll, poll.creator_email)


def _account(request: HttpRequest) -> Any:
    """The logged-in user (accounts on), else None; no query for visitors without a session."""
    return request.user if access.logged_in(request) else None


def _watches_by_default(user: Any) -> bool:
    from bitpoll.accounts.models import Profile

    return Profile.objects.filter(user=user, watch_by_default=True).exists()


def _display_name(user: Any) -> str:
    from bitpoll.accounts.profiles import display_name

    return display_name(user)


def _refused(request: HttpRequest, poll: Poll) -> HttpResponse:
    """403: this poll takes answers and comments only from people logged in, or invited."""
    ctx = {"poll": poll, "needs_login": not access.logged_in(request)}
    return render(request, "polls/answer_refused.html", ctx, status=403)


def _answer_form(
    poll: Poll,
    data: page.PageData,
    post: object = None,
    entry: Entry | None = None,
    taken: frozenset[str] = frozenset(),
) -> AnswerForm:
    return AnswerForm(
        post,  # type: ignore[arg-type]
        poll=poll,
        option_ids=[o.pk for o in data.options],
        choice_ids=[c.pk for c in data.choices],
        options=data.options,
        entry_id=entry.pk if entry else None,
        taken_names=taken,
    )


def _grid_answer_context(form: AnswerForm | None) -> dict[str, object]:
    """What the poll page needs to put the answer form in the first row of the grid."""
    if form is None:
        return {"grid_form": False}
    return {
        "grid_form": True,
        "option_rows": form.option_rows(),
    }


def _render_poll(
    request: HttpRequest,
    poll: Poll,
    status: int = 200,
    extra: dict[str, object] | None = None,
    post: object = None,
    taken: frozenset[str] = frozenset(),
) -> HttpResponse:
    """The poll page; with `post`, its answer form is shown filled in from it, with errors.

    With the page cache's `extra` (slots), it is rendered for a stranger with markers where
    each visitor's own parts go (see pagecache)."""
    extra = extra if extra is not None else {}
    slotted = "slots" in extra
    if not slotted:
        # A render for one visitor alone costs as much as the poll is big, so it counts
        # against the client; the shared page is rendered once per version for everyone.
        limits.check(request, "renders")
    viewer = access.Viewer(None, "", "") if slotted else access.viewer(request)
    data = page.load(poll, viewer)
    ctx = page.context(
        data,
        viewer,
        admin=False,
        answered=bool(extra.get("answered_variant")),
        slot=pagecache.slot if slotted else None,
    )
    # The shared page is rendered for everyone of one variant (pagecache.Variant): logged in
    # or not, allowed to answer or not; the member's own parts are slots (their name in the
    # navigation and the answer form, their answers, manage button and watch form).
    variant = extra.get("variant") if slotted else None
    if slotted and not isinstance(variant, pagecache.Variant):
        variant = pagecache.Variant(False, poll.answer_access == AnswerAccess.ANYONE)
    if isinstance(variant, pagecache.Variant):
        may = variant.may_answer
        ctx["user"] = pagecache.SHARED_USER if variant.logged_in else AnonymousUser()
    else:
        may = access.may_answer(request, poll)
    account = None if slotted else _account(request)
    ctx["form"] = _answer_form(poll, data, post, taken=taken) if poll.is_open and may else None
    ctx["answer_refused"] = poll.is_open and not may
    if account is not None:
        ctx["account_entries"] = list(poll.entries.filter(user=account))
        if access.manages(account, poll):
            ctx["manage_url"] = poll.admin_url(access.ACCOUNT_TOKEN)
        # Watching by account (mail_views.watch_toggle); no use without mail.
        if settings.MAIL_ENABLED:
            ctx["watching"] = poll.watches.filter(user=account).exists()
    if account is not None or (isinstance(variant, pagecache.Variant) and variant.logged_in):
        form = ctx["form"]
        if form is not None:
            # The answer is saved under the account's name, whatever the field holds.
            form.initial["name"] = (  # type: ignore[attr-defined]
                pagecache.ACCOUNT_NAME if account is None else _display_name(account)
            )
            name = form.fields["name"]  # type: ignore[attr-defined]
            name.widget.attrs["readonly"] = True
            name.help_text = _("Answers made while logged in show your account's display name.")
    ctx.update(_grid_answer_context(ctx["form"]))  # type: ignore[arg-type]
    author = data.own_entry.name if data.own_entry else ""
    ctx["comment_form"] = CommentForm(
        initial={"author": extra["slots"]["author"] if slotted else author}  # type: ignore[index]
    )
    ctx["edit_url"] = access.edit_url_shown(
        poll,
        reverse("polls:entry", args=[poll.slug, data.own_entry.pk, viewer.entry_token])
        if data.own_entry
        else "",
    )
    ctx.update(extra)
    if slotted:
        extra["comment_hashes"] = {c.pk: c.edit_token_hash for c in data.comments}
        extra["version"] = poll.version  # read before the rest: the page is at least this new
    return render(request, "polls/poll.html", ctx, status=status)


@never_cache  # the page shows the viewer's own edit link
@require_safe
def poll_page(request: HttpRequest, slug: str) -> HttpResponseBase:
    # Everyone, logged in or not, gets the shared page of their variant with their own parts
    # put in (pagecache.serve); only a form sent back with errors is rendered for one visitor.
    return pagecache.serve(
        request, slug, lambda extra: _render_poll(request, access.get_poll(slug), extra=extra)
    )


@never_cache
@require_safe
def results_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The results as text, option by option: for screen readers and small screens."""
    poll = access.get_poll(slug)
    limits.check(request, "renders")
    viewer = access.viewer(request)
    data = page.load(poll, viewer)
    ctx = page.context(data, viewer, admin=False)
    rows = ctx["display_rows"] if ctx["show_results"] else []
    ctx["summaries"] = page.summaries(data, rows)  # type: ignore[arg-type]
    return render(request, "polls/results_list.html", ctx)


def _closed_message(request: HttpRequest, poll: Poll) -> None:
    if poll.is_closed:
        messages.error(request, _("This poll is closed; answers can no longer be changed."))
    else:
        messages.error(request, _("The deadline has passed; answers can no longer be changed."))


@require_POST
def answer(request: HttpRequest, slug: str) -> HttpResponse:
    # Answers arrive in bursts, so this path reads only what validation needs, with the
    # few statements in sql.py, and must not get slower as answers pile up.
    # The answer sheet (what an answer may name) comes with the poll: one round trip.
    poll, option_ids, choice_ids, spans = sql.get_poll_and_sheet(slug)
    if poll is None:
        raise Http404
    if not poll.is_open:
        _closed_message(request, poll)
        return redirect(poll)
    if not access.may_answer(request, poll):
        return _refused(request, poll)
    # Each stored answer bumped the version once, so a poll has at most version - 1 answers
    # and only a poll whose version is that high needs them counted.
    if poll.version > MAX_ANSWERS_PER_POLL and sql.count_entries(poll.pk) >= MAX_ANSWERS_PER_POLL:
        messages.error(request, _("This poll has reached the maximum number of answers."))
        return redirect(poll)
    cleaned = AnswerForm.quick(
        request.POST, poll=poll, option_ids=option_ids, choice_ids=choice_ids
    )
    if cleaned is None:  # not plainly valid: the form decides
        form = AnswerForm(request.POST, poll=poll, option_ids=option_ids, choice_ids=choice_ids)
        if not form.is_valid():
            # Shown with the whole page (and the whole poll); the errors are found again there.
            return _render_poll(request, access.get_poll(slug), post=request.POST, status=400)
        cleaned = form.cleaned_data
    name = cleaned["name"]
    account = _account(request)
    if account is not None:
        # Tied to the account, the answer shows its (current) display name.
        name = _display_name(account)
    email = cleaned.get("email") or ""
    invited = mail_views.invitation_ids(request)
    language = getattr(request, "LANGUAGE_CODE", "en") if email else "en"
    try:
        # The mails an answer causes are queued in the transaction that stores it; without
        # an address or an invitation nothing is added to this busy path.
        with transaction.atomic() if email or invited else contextlib.nullcontext():
            # Counted in the transaction that stores the answer, under the same write lock;
            # an answer refused by a limit is not stored (and not counted again).
            entry, token = services.add_entry(
                poll,
                name,
                cleaned["answers"],
                # The counters' keys are hashed before the write lock is taken.
                admit=limits.admission(request, "answers", poll=poll.pk),
                user_id=account.pk if account is not None else None,
                email=email,
                language=language,
                spans=spans,
            )
            if email or invited:
                lifecycle.after_answer(poll, entry, token, invited)
    except services.AccountTaken:
        messages.error(
            request, _("This poll takes one answer per account, and you have answered already.")
        )
        return redirect(f"{poll.get_absolute_url()}#you")
    except services.NameTaken:
        taken = frozenset({name_key(name)})
        return _render_poll(
            request, access.get_poll(slug), post=request.POST, status=400, taken=taken
        )
    messages.success(
        request,
        _("Thank you, your answer is saved. Bookmark your edit link below to change it later."),
    )
    # Not redirect(): given a path, it first tries (and fails) to reverse it as a view name.
    response = HttpResponseRedirect(f"{poll.get_absolute_url()}#you")
    access.remember_entry(response, poll, entry, token)
    return response


def edit_entry_page(
    request: HttpRequest,
    poll: Poll,
    entry: Entry,
    *,
    action: str,
    delete_action: str,
    done_url: str,
    admin: bool,
    extra: dict[str, object] | None = None,
) -> HttpResponse:
    """The edit form for one answer, shared by the edit link and the admin link."""
    if request.method == "POST" and not admin:
        limits.check(request, "answers", poll=poll.pk)
    else:
        limits.check(request, "renders")
    data = page.load(poll, None)
    form = _answer_form(poll, data, request.POST if request.method == "POST" else None, entry)
    if request.method == "POST":
        if not admin and not poll.is_open:
            _closed_message(request, poll)
            return redirect(poll)
        if form.is_valid():
            # An answer tied to an account keeps the account's name.
            name = entry.name if entry.user_id is not None else form.cleaned_data["name"]
            try:
                services.update_entry(entry, name, form.cleaned_data["answers"])
            except services.NameTaken:
                taken = frozenset({name_key(name)})
                form = _answer_form(poll, data, request.POST, entry, taken=taken)
                form.is_valid()
            else:
                messages.success(request, _("The answer is updated."))
                return redirect(done_url)
        status = 400
    else:
        votes = {v.option_id: v for v in entry.votes.all()}
        form.initial = {"name": entry.name}
        for option in data.options:
            vote = votes.get(option.pk)
            if vote is not None:
                form.initial[f"o{option.pk}"] = str(vote.choice_id)
                form.initial[f"c{option.pk}"] = vote.comment
        status = 200
    groups, cells = page.header(poll, data.options)
    option_rows = form.option_rows()
    ctx = {
        "poll": poll,
        "entry": entry,
        **(extra or {}),
        "form": form,
        "choices": data.choices,
        # The answer in a row of the grid, as on the poll page (no results under it).
        "grid_form": True,
        "show_results": False,
        "option_rows": option_rows,
        "answer_choices": page.answer_keys(data.choices),
        "groups": groups,
        "columns": [(cell, None) for cell in cells],
        "open_comments": any(comment.value() for _option, _field, comment in option_rows),
        "action": action,
        "delete_action": delete_action,
        "cancel_url": done_url,
        "is_admin": admin,
        "can_change": admin or poll.is_open,
    }
    return render(request, "polls/entry_edit.html", ctx, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def entry(request: HttpRequest, slug: str, entry_id: int, token: str) -> HttpResponse:
    poll = access.get_poll(slug)
    entry = access.get_entry_for_holder(poll, entry_id, token, request)
    here = reverse("polls:entry", args=[slug, entry.pk, token])
    viewer = access.viewer(request)
    # Opening a link changes nothing about who this browser is: a link can be sent by
    # someone else, who could then delete what the visitor comments. The page offers to
    # adopt the answer (entry_adopt), a POST.
    return edit_entry_page(
        request,
        poll,
        entry,
        action=here,
        delete_action=reverse("polls:entry_delete", args=[slug, entry.pk, token]),
        done_url=poll.get_absolute_url(),
        admin=False,
        extra={
            "owned": viewer.owns_entry(entry),
            "has_other_answer": viewer.entry_id is not None and viewer.entry_id != entry.pk,
            "adopt_action": reverse("polls:entry_adopt", args=[slug, entry.pk, token]),
        },
    )


@require_POST
def entry_adopt(request: HttpRequest, slug: str, entry_id: int, token: str) -> HttpResponse:
    """Make this browser the answer's owner (its answer on the poll page, its comments)."""
    poll = access.get_poll(slug)
    entry = access.get_entry_for_holder(poll, entry_id, token, request)
    messages.success(
        request, _("This browser now remembers the answer of %(name)s.") % {"name": entry}
    )
    response = HttpResponseRedirect(f"{poll.get_absolute_url()}#you")
    access.remember_entry(response, poll, entry, token)
    return response


@require_POST
def entry_delete(request: HttpRequest, slug: str, entry_id: int, token: str) -> HttpResponse:
    poll = access.get_poll(slug)
    entry = access.get_entry_for_holder(poll, entry_id, token, request)
    if not poll.is_open:
        _closed_message(request, poll)
        return redirect(poll)
    services.delete_entry(entry)
    messages.success(request, _("Your answer is deleted."))
    response = redirect(poll)
    access.forget_entry(response, poll)
    return response


@require_POST
def comment_add(request: HttpRequest, slug: str) -> HttpResponse:
    poll = access.get_poll(slug)
    if not access.may_answer(request, poll):
        return _refused(request, poll)
    if not poll.allow_comments:
        messages.error(request, _("Comments are turned off for this poll."))
        return redirect(poll)
    if not poll.is_open:
        messages.error(request, _("This poll no longer takes comments."))
        return redirect(poll)
    form = CommentForm(request.POST)
    if form.is_valid() and form.is_spam():
        # Only robots fill in the hidden field; they are told what a person would be told.
        messages.success(request, _("Your comment is posted."))
        return redirect(f"{poll.get_absolute_url()}#comments")
    if not form.is_valid():
        limits.check(request, "renders")
        viewer = access.viewer(request)
        data = page.load(poll, viewer)
        ctx = page.context(data, viewer, admin=False)
        answer_form = _answer_form(poll, data) if poll.is_open else None
        ctx.update(form=answer_form, comment_form=form, edit_url="")
        ctx.update(_grid_answer_context(answer_form))
        return render(request, "polls/poll.html", ctx, status=400)
    viewer = access.viewer(request)
    own = None
    if viewer.entry_id is not None:
        candidate = poll.entries.filter(pk=viewer.entry_id).first()
        if candidate is not None and viewer.owns_entry(candidate):
            own = candidate
    new_token = ""
    if own is not None:
        token_hash = own.edit_token_hash
    elif viewer.comment_token and len(viewer.comment_token) <= tokens.MAX_TOKEN_LENGTH:
        token_hash = tokens.hash_token(viewer.comment_token)
    else:
        new_token, token_hash = tokens.new_token()
    with transaction.atomic():
        limits.check(request, "comments", poll=poll.pk)
        services.add_comment(
            poll, form.cleaned_data["author"], form.cleaned_data["text"], own, token_hash
        )
    messages.success(request, _("Your comment is posted."))
    response: HttpResponseRedirect = redirect(f"{poll.get_absolute_url()}#comments")
    if new_token:
        access.remember_comment_token(response, poll, new_token)
    return response


@require_POST
def comment_delete(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    poll = access.get_poll(slug)
    comment = get_object_or_404(poll.comments, pk=comment_id)
    if not access.viewer(request).may_delete(comment):
        raise Http404
    services.delete_comment(comment)
    messages.success(request, _("The comment is deleted."))
    return redirect(f"{poll.get_absolute_url()}#comments")
