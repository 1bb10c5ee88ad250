"""Cold start: time from starting `bitpoll serve` on an existing database to the first 200
of a poll page (a visitor's first request, which renders it), and of /healthz for comparison.

Usage: python bench/startup.py [--runs 5] [--python PATH ...]
Prints each run and the medians; the target on a 2-core machine is under 450 ms to the poll
page (issue 16: well under half of the original Bitpoll's 1.0-1.1 s on the same machine).

--python PATH starts the server with that interpreter (the `python` of another venv with
Bitpoll installed, e.g. one made from Debian's /usr/bin/python3.11) instead of the one running
this script. Given more than once, the runs alternate between the interpreters, so that a
change in the machine's load hits them alike, and each gets its own figures. The data
directory is prepared once, with the first interpreter.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ is on sys.path: share run.py's server helpers.
from run import compile_bytecode, free_port, in_django, wait_healthy

TARGET_SECONDS = 0.45


def one_run(env: dict[str, str], path: str, python: str = sys.executable) -> float:
    port = free_port()
    env = {**env, "BITPOLL_BIND": f"127.0.0.1:{port}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "-m", "bitpoll", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        return wait_healthy(port, process, started, path)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def restart_data(
    tmp: Path, without: tuple[str, ...] = (), python: str = sys.executable
) -> tuple[dict[str, str], str]:
    """An environment (this one's, less BITPOLL_* and `without`) whose data dir in `tmp`
    holds a migrated database with one poll and the collected static files: what a restart
    finds, not an install. Returns the environment and the poll's link name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_") and k not in without}
    env.update(BITPOLL_DATA_DIR=str(tmp / "data"), BITPOLL_SECRET_KEY=secrets.token_urlsafe(48))
    subprocess.run([python, "-m", "bitpoll", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [python, "-m", "bitpoll", "collectstatic", "--noinput", "-v0"], env=env, check=True
    )
    return env, in_django(env, SEED, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--python",
        action="append",
        metavar="PATH",
        help="interpreter to serve with (default: this one); repeat to alternate between several",
    )
    args = parser.parse_args()
    pythons: list[str] = args.python or [sys.executable]
    compile_bytecode()
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="bitpoll-bench-") as tmp:
        env, slug = restart_data(Path(tmp), python=pythons[0])
        # Interleaved, so that a change in the machine's load affects all alike.
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for python in pythons:
                for what, path in (("poll page", f"/{slug}/"), ("/healthz", "/healthz")):
                    times.setdefault((python, what), []).append(one_run(env, path, python))
            load.append(os.getloadavg()[0])
    print(f"load average {min(load):.1f}-{max(load):.1f}")
    for (python, what), runs in times.items():
        listed = ", ".join(f"{seconds * 1000:.0f}" for seconds in runs)
        median = statistics.median(runs)
        label = f"{python}: {what}" if len(pythons) > 1 else what
        print(f"{label}: {listed} ms; median {median * 1000:.0f} ms over {len(runs)} runs")
    for python in pythons:
        median = statistics.median(times[(python, "poll page")])
        verdict = "met" if median < TARGET_SECONDS else "not met"
        label = f" ({python})" if len(pythons) > 1 else ""
        print(
            f"target{label}: cold start to the first 200 of a poll page "
            f"< {TARGET_SECONDS * 1000:.0f} ms: {verdict}"
        )


SEED = """
import json
from bitpoll.polls import services
from bitpoll.polls.options import ParsedOption
poll, _ = services.create_poll(
    title="Start-up", description="", kind="text", time_zone="UTC",
    options=[ParsedOption(text=f"Option {i}") for i in range(5)],
)
print(json.dumps(poll.slug))
"""


if __name__ == "__main__":
    main()
