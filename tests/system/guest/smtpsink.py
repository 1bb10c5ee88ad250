"""A small SMTP server for the guest: every message it accepts becomes a file.

    python3 smtpsink.py --port 2525 --dir /run/smtpsink [--delay-file FILE]

Runs with the guest's own Python (asyncio streams, no third-party packages):
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT, without extensions, so the
client sends plain text. Each accepted message is written to DIR as
<n>.eml (first to a temporary name, then renamed: a reader sees whole
messages only). While FILE exists, the sink waits the seconds it holds
before answering the end of DATA, so a sender can be caught in the middle
of a batch.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
from pathlib import Path

counter = itertools.count(1)


async def session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: Path, delay_file: Path
) -> None:
    async def reply(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    await reply("220 sink ESMTP")
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250 sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    line = await reader.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                try:
                    await asyncio.sleep(float(delay_file.read_text()))
                except FileNotFoundError:
                    pass
                path = target / f"{next(counter):05d}.eml"
                partial = path.with_suffix(".part")
                partial.write_bytes(b"".join(lines))
                os.replace(partial, path)
                await reply("250 OK queued")
            elif verb == "QUIT":
                await reply("221 bye")
                return
            else:
                await reply("502 not implemented")
    except ConnectionError:
        return
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--delay-file", type=Path, default=Path("/run/smtpsink.delay"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    server = await asyncio.start_server(
        lambda r, w: session(r, w, args.dir, args.delay_file), "127.0.0.1", args.port
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
