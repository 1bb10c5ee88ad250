"""A bounded client loop: GET a URL on fresh connections until told to stop.

Runs inside the guest. Stops when the stop file appears or after --seconds,
then prints {"ok": n, "failed": n, "errors": [...]} as JSON. Progress (the
number of answered requests) goes to --progress after every request, so the
caller can see that requests were answered before and after what it does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import time
from urllib.parse import urlsplit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--stop", required=True)
    parser.add_argument("--progress", required=True)
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    url = urlsplit(args.url)
    ok = failed = 0
    errors: list[str] = []
    deadline = time.monotonic() + args.seconds
    while not os.path.exists(args.stop) and time.monotonic() < deadline:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        try:
            conn.request("GET", url.path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                ok += 1
            else:
                failed += 1
                errors.append(f"HTTP {response.status}")
        except OSError as exc:
            failed += 1
            errors.append(repr(exc))
        finally:
            conn.close()
        with open(args.progress + ".tmp", "w") as handle:
            handle.write(f"{ok} {failed}\n")
        os.replace(args.progress + ".tmp", args.progress)
    print(json.dumps({"ok": ok, "failed": failed, "errors": errors[:10]}))


if __name__ == "__main__":
    main()
