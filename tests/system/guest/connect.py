"""Try a TCP connection to each HOST:PORT given and print the outcomes as one JSON object.

    python3 connect.py 192.0.2.10:389 192.0.2.11:389

"ok", or the errno's name (ECONNREFUSED: nothing listens there), or TIMEOUT: no answer
within 5 s, which is what a TCP connection to an address IPAddressDeny= forbids ends in
(systemd's filter drops the packets).
"""

from __future__ import annotations

import errno
import json
import socket
import sys


def outcome(target: str) -> str:
    host, _, port = target.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except TimeoutError:
        return "TIMEOUT"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc))
    return "ok"


if __name__ == "__main__":
    print(json.dumps({target: outcome(target) for target in sys.argv[1:]}))
