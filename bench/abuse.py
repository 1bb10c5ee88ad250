"""Bitpoll under abuse: floods from a few clients while /healthz and a real visitor are watched.

Usage: python bench/abuse.py [--duration SECONDS]

Seeds the polls of bench/run.py into a fresh data dir and starts `bitpoll serve` (2 workers,
SQLite, rate limits at their defaults) on 127.0.0.1. Every client has its own loopback
address (127.0.0.x, all of 127/8 is the loopback interface), so the server tells them apart
as it would tell apart people on the internet. Everything is bounded in time and count.

1. Comment, poll-creation and answer floods from one client: how soon the first 429 comes,
   while another client creates a poll, answers and comments, each of which must succeed.
2. Render flood: three clients loop on the huge poll with query strings and random cookies
   (what used to skip the page cache) while a fourth asks /healthz every 50 ms: its p99.

Prints the figures and one line per target: met / not met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import FormParser, free_port, wait_healthy  # noqa: E402

WORKERS = 2
FLOOD_MAX = 200  # requests per flood at most
FLOOD_SECONDS = 10.0  # and at most this long
TIMEOUT = 60.0
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HEALTHZ = "127.0.0.2"
VISITOR = "127.0.0.3"
FLOODER = "127.0.0.10"
RENDERERS = ("127.0.0.21", "127.0.0.22", "127.0.0.23")


@dataclass
class Client:
    """One visitor at one loopback address, with its cookies and the last CSRF token seen."""

    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def call(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        extra_cookies: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=TIMEOUT, source_address=(self.address, 0)
        )
        cookies = {**self.cookies, **(extra_cookies or {})}
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            got = response.getheaders()
        finally:
            conn.close()
        for name, value in got:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                if key == "csrftoken":
                    self.cookies[key] = rest.split(";")[0]
        found = CSRF_FIELD.search(text)
        if found and not self.token:
            self.token = found.group(1)
        return response.status, {k.lower(): v for k, v in got}, text


CREATE = {
    "title": "Abuse benchmark",
    "description": "",
    "kind": "text",
    "time_zone": "Europe/Berlin",
    "options": "A\nB\nC",
    "scale": "default",
    "results_visibility": "always",
    "allow_comments": "on",
}


def answer_data(html: str) -> dict[str, str]:
    """A valid answer from the poll page's form: the first choice of every option."""
    parser = FormParser()
    parser.feed(html)
    form = max(parser.forms, key=lambda f: int(f["radios"]))  # type: ignore[call-overload]
    fields: dict[str, str] = dict(form["fields"])  # type: ignore[call-overload]
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def flood(client: Client, path: str, make: Callable[[int], dict[str, str]]) -> dict[str, float]:
    """POST until the first 429 (and a few more), at most FLOOD_MAX times or FLOOD_SECONDS."""
    started = time.perf_counter()
    statuses: list[int] = []
    first_429 = None
    retry_after = 0
    while len(statuses) < FLOOD_MAX and time.perf_counter() - started < FLOOD_SECONDS:
        status, headers, _ = client.call("POST", path, make(len(statuses)))
        statuses.append(status)
        if status == 429 and first_429 is None:
            first_429 = time.perf_counter() - started
            retry_after = int(headers.get("retry-after", "0"))
        if first_429 is not None and statuses.count(429) >= 20:
            break
    return {
        "requests": len(statuses),
        "accepted": sum(s in (200, 302) for s in statuses),
        "refused_429": statuses.count(429),
        "other": sum(s not in (200, 302, 429) for s in statuses),
        "first_429_s": round(first_429, 3) if first_429 is not None else -1.0,
        "retry_after_s": retry_after if first_429 is not None else 0,
    }


def visitor_session(port: int, slug: str) -> dict[str, int]:
    """What a real person does: create a poll, answer one, comment on it."""
    visitor = Client(port, VISITOR)
    visitor.call("GET", "/new/")
    created = visitor.call("POST", "/new/", CREATE)[0]
    _, _, html = visitor.call("GET", f"/{slug}/")
    answered = visitor.call("POST", f"/{slug}/answer/", answer_data(html))[0]
    commented = visitor.call(
        "POST", f"/{slug}/comment/", {"author": "Visitor", "text": "Tuesday suits me."}
    )[0]
    return {"create": created, "answer": answered, "comment": commented}


def spam_phase(port: int, slug: str) -> dict[str, object]:
    flooder = Client(port, FLOODER)
    flooder.call("GET", f"/{slug}/")
    comments = flood(
        flooder,
        f"/{slug}/comment/",
        lambda i: {"author": "Spammer", "text": f"Buy now {i} " + "x" * 1900},
    )
    flooder.call("GET", "/new/")
    polls = flood(flooder, "/new/", lambda i: {**CREATE, "title": f"Flood {i}"})
    sheet = answer_data(flooder.call("GET", f"/{slug}/")[2])
    answers = flood(flooder, f"/{slug}/answer/", lambda i: {**sheet, "name": f"Flood {i}"})
    # The visitor comes while the flooder is still being refused.
    result: dict[str, dict[str, int]] = {}
    busy = threading.Event()

    def keep_flooding() -> None:
        while not busy.is_set():
            flooder.call("POST", f"/{slug}/comment/", {"author": "Spammer", "text": "again"})

    thread = threading.Thread(target=keep_flooding)
    thread.start()
    try:
        result["visitor"] = visitor_session(port, slug)
    finally:
        busy.set()
        thread.join()
    return {"comments": comments, "polls": polls, "answers": answers, "visitor": result["visitor"]}


def render_phase(port: int, slug: str, seconds: float) -> dict[str, object]:
    stop = threading.Event()
    counts: dict[str, dict[int, int]] = {a: {} for a in RENDERERS}
    latencies: list[float] = []

    def attacker(address: str) -> None:
        client = Client(port, address)
        n = 0
        while not stop.is_set() and n < 5000:
            n += 1
            cookie = {"bitpoll_comment": secrets.token_urlsafe(32)}
            try:
                status = client.call("GET", f"/{slug}/?n={secrets.token_hex(4)}", None, cookie)[0]
            except OSError:
                status = 0
            counts[address][status] = counts[address].get(status, 0) + 1

    def prober() -> None:
        client = Client(port, HEALTHZ)
        while not stop.is_set() and len(latencies) < 5000:
            started = time.perf_counter()
            try:
                client.call("GET", "/healthz")
            except OSError:
                pass
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)

    threads = [threading.Thread(target=attacker, args=(a,)) for a in RENDERERS]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {
        "healthz_requests": len(ordered),
        "healthz_p50_ms": round(statistics.median(ordered), 1) if ordered else -1,
        "healthz_p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
        if ordered
        else -1,
        "healthz_max_ms": round(ordered[-1], 1) if ordered else -1,
        "attackers": {a: dict(sorted(c.items())) for a, c in counts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=15, help="seconds of render flood (default 15)"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    figures = measure(min(args.duration, 120))
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def measure(seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bitpoll-abuse-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_")}
        port = free_port()
        env.update(
            BITPOLL_DATA_DIR=str(Path(tmp) / "data"),
            BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
            BITPOLL_WORKERS=str(WORKERS),
            BITPOLL_LOG_LEVEL="warning",
            BITPOLL_BIND=f"127.0.0.1:{port}",
        )
        bitpoll = [sys.executable, "-m", "bitpoll"]
        subprocess.run([*bitpoll, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*bitpoll, "collectstatic", "--noinput", "-v0"], env=env, check=True)
        seeded = json.loads(
            subprocess.run(
                [sys.executable, str(HERE / "seed.py")],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        server = subprocess.Popen(
            [*bitpoll, "serve", "--no-migrate"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            wait_healthy(port, server, time.perf_counter())
            figures: dict[str, object] = {"spam": spam_phase(port, seeded["small"])}
            figures["render"] = render_phase(port, seeded["huge"], seconds)
            figures["render_seconds"] = seconds
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
        return figures


def report(f: dict[str, object]) -> None:
    spam: dict[str, dict[str, float]] = f["spam"]  # type: ignore[assignment]
    render: dict[str, object] = f["render"]  # type: ignore[assignment]
    print(f"\n== abuse: {WORKERS} workers, SQLite, rate limits at their defaults ==")
    for name in ("comments", "polls", "answers"):
        s = spam[name]
        print(
            f"{name} flood from one client: {s['requests']} requests, {s['accepted']} accepted, "
            f"{s['refused_429']} refused (429), {s['other']} other; first 429 after "
            f"{s['first_429_s']} s, Retry-After {s['retry_after_s']} s"
        )
    visitor = spam["visitor"]
    print(f"another client meanwhile: {visitor}")
    print(
        f"render flood ({f['render_seconds']} s, 3 clients, query strings and random cookies "
        f"on the huge poll): /healthz {render['healthz_requests']} requests, "
        f"p50 {render['healthz_p50_ms']} ms, p99 {render['healthz_p99_ms']} ms, "
        f"max {render['healthz_max_ms']} ms"
    )
    for address, counts in render["attackers"].items():  # type: ignore[attr-defined]
        print(f"  attacker {address}: responses by status {counts}")
    comments, polls, answers = spam["comments"], spam["polls"], spam["answers"]
    targets = [
        (
            "comment flood from one client cut off by 429 within 1 s",
            0 <= comments["first_429_s"] < 1 and comments["other"] == 0,
        ),
        (
            "poll-creation flood from one client cut off by 429 within 1 s",
            0 <= polls["first_429_s"] < 1 and polls["other"] == 0,
        ),
        (
            # 60 answers take about a second themselves; what matters is where they stop.
            "answer flood from one client stopped by 429 at the limit (60 per 10 minutes)",
            answers["accepted"] <= 60 < answers["requests"] and answers["other"] == 0,
        ),
        ("another client still creates a poll meanwhile (302)", visitor["create"] == 302),
        ("another client still answers meanwhile (302)", visitor["answer"] == 302),
        ("another client still comments meanwhile (302)", visitor["comment"] == 302),
        (
            "/healthz p99 < 100 ms while 3 clients flood the huge poll with uncached-looking requests",
            0 <= float(render["healthz_p99_ms"]) < 100,  # type: ignore[arg-type]
        ),
    ]
    for text, met in targets:
        print(f"target [abuse]: {text}: {'met' if met else 'not met'}")


if __name__ == "__main__":
    main()
