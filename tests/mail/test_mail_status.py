"""What the operator sees: `bitpoll mail-status` and the outbox in the Django admin."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from bitpoll.mail import outbox, sender
from bitpoll.mail.models import Message
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db


def _status(*args: str) -> str:
    out = io.StringIO()
    call_command("mail-status", *args, stdout=out)
    return out.getvalue()


def test_it_counts_and_lists_failures(mail: SmtpSink) -> None:
    outbox.enqueue("ok@example.org", "polls/closed", {"poll": {"title": "A"}})
    bad = outbox.enqueue("bad@example.org", "polls/closed", {"poll": {"title": "B"}})
    assert bad is not None
    Message.objects.filter(pk=bad.pk).update(attempts=sender.MAX_ATTEMPTS - 1)
    mail.refuse()
    sender.run_once()
    text = _status()
    assert "queued=1" in text and "failed=1" in text
    assert "oldest queued:" in text
    assert f"failed {bad.pk}" in text and "bad@example.org" in text and "451" in text
    with pytest.raises(CommandError, match="1 mails failed"):
        _status("--fail-on-failed")


def test_it_says_when_no_mail_is_configured(settings: object) -> None:
    settings.MAIL_ENABLED = False  # type: ignore[attr-defined]
    assert "No mail is configured" in _status()


def test_the_admin_lists_mails_and_queues_failed_ones_again(mail: SmtpSink) -> None:
    row = outbox.enqueue("x@example.org", "polls/closed", {"poll": {"title": "A"}})
    assert row is not None
    Message.objects.filter(pk=row.pk).update(status=Message.Status.FAILED, attempts=8)
    User.objects.create_superuser("root", "root@example.org", "a long password 123")
    client = Client()
    client.force_login(User.objects.get(username="root"))
    page = client.get("/admin/mail/message/?status__exact=failed")
    assert page.status_code == 200 and "x@example.org" in page.content.decode()
    response = client.post(
        "/admin/mail/message/",
        {"action": "retry_now", "_selected_action": [str(row.pk)]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Message.Status.QUEUED, 0)
    assert sender.run_once().sent == 1


def test_the_deploy_check_warns_of_local_links_and_console_mail(settings: object) -> None:
    from bitpoll.mail.checks import check_mail

    settings.MAIL_ENABLED = True  # type: ignore[attr-defined]
    settings.BASE_URL = "http://localhost:8000"  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # type: ignore[attr-defined]
    assert [m.id for m in check_mail(None)] == ["bitpoll.W201", "bitpoll.W202"]
    settings.BASE_URL = "https://polls.example.org"  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    assert check_mail(None) == []
    settings.MAIL_ENABLED = False  # type: ignore[attr-defined]
    settings.BASE_URL = "http://localhost:8000"  # type: ignore[attr-defined]
    assert check_mail(None) == []
