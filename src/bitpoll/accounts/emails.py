"""The one way the accounts app sends mail (verification, password reset, e-mail change).

Every message goes through `send()`, so that delivery can be moved to the mail outbox in one
place; today it is Django's send_mail through the configured backend (BITPOLL_EMAIL_URL).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text message to one address."""
    send_mail(subject.strip(), body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_template(to: str, template: str, context: dict[str, object]) -> None:
    """Render accounts/mail/<template>_subject.txt and _body.txt and send them."""
    subject = render_to_string(f"accounts/mail/{template}_subject.txt", context)
    body = render_to_string(f"accounts/mail/{template}_body.txt", context)
    send(to, " ".join(subject.split()), body)
