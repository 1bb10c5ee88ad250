"""Pages of a poll's life that involve mail: the decision, invitations, watches, recovery.

The admin pages (decide, invitations) sit behind the admin link like admin_views; the others
are reached from links in mails, each carrying its own secret.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bitpoll.mail import outbox
from bitpoll.polls import access, ics, lifecycle
from bitpoll.polls.forms import DecideForm, InviteForm, RecoveryForm
from bitpoll.polls.models import Poll
from bitpoll.ratelimit import limits

INVITATIONS_SESSION_KEY = "bitpoll.invitations"
MAX_INVITATIONS_PER_POLL = 1000


def _no_mail_note(request: HttpRequest) -> None:
    if not outbox.enabled():
        messages.warning(request, _("This server sends no e-mail: nobody is notified."))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def decide(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token)
    if request.method == "POST":
        form = DecideForm(request.POST, poll=poll)
        if form.is_valid():
            data = form.cleaned_data
            queued = lifecycle.finalize(poll, data["options"], data["message"], data["location"])
            messages.success(
                request,
                ngettext(
                    "The decision is announced; %(count)d person will get it by e-mail.",
                    "The decision is announced; %(count)d people will get it by e-mail.",
                    queued,
                )
                % {"count": queued},
            )
            _no_mail_note(request)
            return redirect(poll.admin_url(token))
        status = 400
    else:
        initial = {
            "options": [o.pk for o in poll.final_options()],
            "message": poll.decision_message,
            "location": poll.decision_location,
        }
        form = DecideForm(initial=initial, poll=poll)
        status = 200
    ctx = {"poll": poll, "token": token, "form": form, "mail_enabled": outbox.enabled()}
    return render(request, "polls/admin/decide.html", ctx, status=status)


@require_POST
def undecide(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token)
    if poll.is_decided:
        lifecycle.unfinalize(poll)
        messages.success(request, _("The decision is withdrawn; calendars get a cancellation."))
    return redirect(poll.admin_url(token))


@never_cache
@require_safe
def decision_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The decided event(s) for calendars; a cancellation once the decision is withdrawn."""
    poll = access.get_poll(slug)
    if not ics.dated(poll) or poll.ics_sequence == 0:
        raise Http404
    if poll.is_decided:
        body = ics.calendar(poll, poll.final_options(), "PUBLISH")
    else:
        # Withdrawn: no events, so that calendars subscribed to this link drop them (those
        # that got the mail got a METHOD:CANCEL).
        body = ics.calendar(poll, [], "PUBLISH")
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{poll.slug}.ics"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitations(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token)
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid() and outbox.enabled():
            addresses = form.cleaned_data["addresses"]
            if poll.invitations.count() + len(addresses) > MAX_INVITATIONS_PER_POLL:
                form.add_error(
                    "addresses",
                    _("A poll can have at most %(max)d invitations.")
                    % {"max": MAX_INVITATIONS_PER_POLL},
                )
                return _invitations_page(request, poll, token, form, 400)
            with transaction.atomic():
                # Counted per client and per poll, so that no admin link turns the site into
                # a way of mailing strangers in bulk.
                limits.check(request, "invitations", poll=poll.pk)
                new = lifecycle.invite(poll, addresses)
            messages.success(
                request,
                ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", new)
                % {"count": new},
            )
            return redirect("polls:admin_invitations", poll.slug, token)
        status = 400
    else:
        form = InviteForm()
        status = 200
    return _invitations_page(request, poll, token, form, status)


def _invitations_page(
    request: HttpRequest, poll: Poll, token: str, form: InviteForm, status: int
) -> HttpResponse:
    rows = list(poll.invitations.select_related("entry", "user", "group"))
    answered = lifecycle.answered_users(poll)
    count = 0
    for row in rows:
        # Users and groups answer with their accounts (a group: every member it had when invited).
        by_account = not row.entry_id and (
            (row.user_id is not None and row.user_id in answered)
            or (row.group_id is not None and not lifecycle.unanswered_members(row, answered))
        )
        row.account_answered = by_account  # type: ignore[attr-defined]
        count += 1 if row.entry_id or by_account else 0
    ctx = {
        "poll": poll,
        "token": token,
        "form": form,
        "rows": rows,
        "mail_enabled": outbox.enabled(),
        "answered": count,
        "can_remind": any(lifecycle.reminder_due(r, answered) for r in rows),
    }
    return render(request, "polls/admin/invitations.html", ctx, status=status)


@require_POST
def remind(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    poll = access.get_poll_for_admin(slug, token)
    count = lifecycle.remind(poll) if outbox.enabled() else 0
    if count:
        messages.success(
            request,
            ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", count)
            % {"count": count},
        )
    else:
        messages.info(
            request,
            _("Nobody to remind: everyone answered or got the most reminders allowed."),
        )
    return redirect("polls:admin_invitations", poll.slug, token)


@never_cache
@require_safe
def invitation(request: HttpRequest, slug: str, invitation_id: int, token: str) -> HttpResponse:
    """A personal link: remember the invitation in the session (the "invited" access check
    and "who answered" read it there), then show the poll."""
    poll = access.get_poll(slug)
    found = lifecycle.get_invitation(poll, invitation_id, token)
    if found is None:
        raise Http404
    held = [i for i in request.session.get(INVITATIONS_SESSION_KEY, []) if isinstance(i, int)]
    if found.pk not in held:
        request.session[INVITATIONS_SESSION_KEY] = [*held[-49:], found.pk]
    return redirect(poll)


def invitation_ids(request: HttpRequest) -> list[int]:
    if not hasattr(request, "session") or INVITATIONS_SESSION_KEY not in request.session:
        return []
    return [i for i in request.session.get(INVITATIONS_SESSION_KEY, []) if isinstance(i, int)]


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a form
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, slug: str, watch_id: int, token: str) -> HttpResponse:
    poll = access.get_poll(slug)
    row = lifecycle.get_watch(poll, watch_id, token)
    if request.method == "POST":
        if row is not None:
            row.delete()
        return render(request, "polls/unsubscribed.html", {"poll": poll})
    if row is None:
        raise Http404
    return render(request, "polls/unsubscribe.html", {"poll": poll})


@require_POST
def watch_account(request: HttpRequest, slug: str) -> HttpResponse:
    """A logged-in user watches the poll (news and the decision by mail) or stops."""
    poll = access.get_poll(slug)
    if not (settings.ACCOUNTS_ENABLED and request.user.is_authenticated):
        raise Http404
    if request.POST.get("watch") == "off":
        lifecycle.unwatch_user(poll, request.user)
        messages.success(request, _("You no longer watch this poll."))
    else:
        lifecycle.watch_user(poll, request.user)
        messages.success(
            request, _("You watch this poll: new answers and comments come by e-mail.")
        )
        if not request.user.email:
            messages.warning(request, _("Your account has no e-mail address: no mail can come."))
        _no_mail_note(request)
    return redirect(poll)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recovery(request: HttpRequest) -> HttpResponse:
    """ "Send me my admin links": the same answer whether the address is known or not."""
    if request.method == "POST":
        form = RecoveryForm(request.POST)
        if form.is_valid() and outbox.enabled():
            address = form.cleaned_data["email"]
            with transaction.atomic():
                limits.check(request, "recovery", user=address.lower())
                lifecycle.request_recovery(address, get_language() or "en")
            messages.success(
                request,
                _(
                    "If polls were created with this address, a mail with their links is on "
                    "its way. It can take a few minutes."
                ),
            )
            return redirect("polls:recovery")
        status = 400
    else:
        form = RecoveryForm()
        status = 200
    ctx = {"form": form, "mail_enabled": outbox.enabled()}
    return render(request, "polls/recovery.html", ctx, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recover(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A one-time link from the recovery mail: on POST (not on GET, which link scanners
    follow) it trades itself for a new admin link."""
    poll = access.get_poll(slug)
    if request.method == "POST":
        raw = lifecycle.recover(poll, token)
        if raw is None:
            raise Http404
        messages.success(
            request,
            _("This is your new admin link: bookmark it. The old one no longer works."),
        )
        return redirect(poll.admin_url(raw))
    return render(request, "polls/recover.html", {"poll": poll})
