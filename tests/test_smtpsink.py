"""The SMTP server the mail and account tests read from is real: prove it stores and refuses."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from smtpsink import SmtpSink


def _send(sink: SmtpSink, to: str) -> None:
    message = EmailMessage()
    message["From"] = "bitpoll@example.org"
    message["To"] = to
    message["Subject"] = "Grüße"
    message.set_content("Hallo")
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.send_message(message)


def test_it_stores_what_it_accepts(smtp_sink: SmtpSink) -> None:
    _send(smtp_sink, "alice@example.org")
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == "Grüße"
    assert message["X-Envelope-To"] == "alice@example.org"
    assert message.get_content().strip() == "Hallo"


def test_it_refuses_while_told_to(smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(smtp_sink, "bob@example.org")
    assert smtp_sink.messages() == []
    smtp_sink.refuse(False)
    _send(smtp_sink, "bob@example.org")
    assert len(smtp_sink.wait_for(1)) == 1
