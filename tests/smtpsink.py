"""A real SMTP server for tests: aiosmtpd in its own process on a free loopback port.

Every accepted message is written to a Maildir in a temporary directory, where tests read it
back with the standard `email` package. The server can be told to refuse: while the file
`refuse` exists in its directory, every RCPT is answered with a temporary failure (451) and
nothing is stored, so tests can take the server "down" and bring it back without restarting
it. `stop()` (and the fixture's teardown) kills the process; `kill -STOP` style outages are
the tests' own business.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import shutil
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from serverutil import free_port

__all__ = ["SmtpSink"]

SERVER = r"""
import asyncio, mailbox, os, sys
from aiosmtpd.controller import Controller

directory, port = sys.argv[1], int(sys.argv[2])
box = mailbox.Maildir(os.path.join(directory, "maildir"), create=True)

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if os.path.exists(os.path.join(directory, "refuse")):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        head = "X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        box.add(head.encode() + envelope.original_content)
        return "250 Message accepted for delivery"

controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
open(os.path.join(directory, "ready"), "w").close()
try:
    asyncio.get_event_loop().run_forever()
finally:
    controller.stop()
"""


class SmtpSink:
    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="bitpoll-smtp-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The BITPOLL_EMAIL_URL that sends here."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        script = self.directory / "server.py"
        script.write_text(SERVER)
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(self.directory), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=(self.directory / "server.log").open("wb"),
        )
        deadline = time.monotonic() + 30
        while not (self.directory / "ready").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "server.log").read_text(errors="replace")
                raise RuntimeError(f"the SMTP server did not start:\n{log}")
            time.sleep(0.05)
        return self

    def refuse(self, refusing: bool = True) -> None:
        """Answer every recipient with 451 (True) or accept again (False)."""
        flag = self.directory / "refuse"
        if refusing:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    def messages(self) -> list[EmailMessage]:
        """Every stored message, oldest first, parsed with the modern policy."""
        box = mailbox.Maildir(self.directory / "maildir", create=True)
        raw = sorted(
            (path.stat().st_mtime_ns, path.name, path.read_bytes())
            for sub in ("new", "cur")
            for path in (self.directory / "maildir" / sub).glob("*")
        )
        del box
        return [
            email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[misc]
            for _mtime, _name, data in raw
        ]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)
