"""The one way the accounts app sends mail (verification, password reset, e-mail change).

Every message goes through `send()`: into the mail outbox (bitpoll.mail), delivered by
`bitpoll send-mail` outside the request, like every other mail. With no mail configured
(BITPOLL_EMAIL_URL unset) the message goes to Django's console backend, i.e. the log, so that
a development server still shows its verification links.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from bitpoll.mail import outbox


def send(to: str, subject: str, body: str, kind: str = "accounts") -> None:
    """Queue one plain-text message to one address (in the current language)."""
    if outbox.enabled():
        language = translation.get_language() or settings.LANGUAGE_CODE
        outbox.enqueue_text(to, kind, subject, body, language=language)
    else:
        send_mail(subject.strip(), body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_template(to: str, template: str, context: dict[str, object]) -> None:
    """Render accounts/mail/<template>_subject.txt and _body.txt and send them."""
    subject = render_to_string(f"accounts/mail/{template}_subject.txt", context)
    body = render_to_string(f"accounts/mail/{template}_body.txt", context)
    send(to, " ".join(subject.split()), body, kind=f"accounts/{template}")
