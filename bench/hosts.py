"""Several app hosts on one PostgreSQL: one host x 2 workers against two hosts x 2 workers.

Usage: python bench/hosts.py [--duration SECONDS]

Starts a throwaway PostgreSQL server (tests/pgcluster.py), seeds the polls of bench/run.py and
measures with wrk, 8 connections in total either way: the small poll's page for a stranger and
answering (copies of the small poll, checked in the database afterwards). With two hosts, one
wrk per host with 4 connections each runs at the same time; the figures are their sum
(requests/s) and the worse of their p99. Both hosts, wrk and PostgreSQL share this machine,
so the result says what one more host costs or gains here, not on separate machines.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
import run  # noqa: E402
from pgcluster import Cluster  # noqa: E402

BITPOLL = [sys.executable, "-m", "bitpoll"]
TOTAL_CONNECTIONS = 8
# bench/run.py's small poll (5 options, 5 answers) and four copies to answer, round-robin.
SEED = """
import json
from bitpoll.polls import services
from bitpoll.polls.options import ParsedOption

def poll(slug):
    made, _ = services.create_poll(
        title="Benchmark small: 5 options, 5 answers", description="Which *suits* you?",
        kind="text", time_zone="Europe/Berlin", slug=slug,
        options=[ParsedOption(text=f"Option {i + 1}") for i in range(5)])
    choices = list(made.choices.values_list("pk", flat=True))
    for n in range(5):
        services.add_entry(made, f"Participant {n + 1}", {
            o: services.Answer(choice_id=choices[(n + o) % len(choices)], comment="")
            for o in made.options.values_list("pk", flat=True)})
    return made.slug

print(json.dumps({"small": poll("bench-small"),
                  "answer": [poll(f"bench-answer-{i}") for i in range(1, 5)]}))
"""


def wrk_many(urls: list[str], duration: int, scripts: list[Path | None]) -> dict[str, float]:
    """One wrk per URL at once, connections split evenly; summed rate, worst p99."""
    results: list[dict[str, float]] = [{} for _ in urls]
    saved = run.CONNECTIONS
    run.CONNECTIONS = TOTAL_CONNECTIONS // len(urls)

    def one(i: int) -> None:
        results[i] = run.wrk(urls[i], duration, scripts[i])

    try:
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(urls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        run.CONNECTIONS = saved
    return {
        "rps": round(sum(r["rps"] for r in results), 1),
        "p99_ms": max(r["p99_ms"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "requests": sum(r["requests"] for r in results),
    }


def start(env: dict[str, str], data: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = run.free_port()
    process = subprocess.Popen(
        [*BITPOLL, "serve", "--no-migrate"],
        env={**env, "BITPOLL_DATA_DIR": str(data), "BITPOLL_BIND": f"127.0.0.1:{port}"},
        stderr=subprocess.DEVNULL,
    )
    run.wait_healthy(port, process, time.perf_counter())
    return process, port


def measure(env: dict[str, str], tmp: Path, hosts: int, duration: int) -> dict[str, object]:
    seeded = run.in_django(env, SEED, None)
    small = seeded["small"]
    answer_slugs = seeded["answer"]
    servers = [start(env, tmp / f"host{i}") for i in range(hosts)]
    try:
        urls = [f"http://127.0.0.1:{port}" for _, port in servers]
        for url in urls:  # every worker loads its code and renders the page once
            run.wrk(f"{url}/{small}/", run.WARM_UP)
        page = wrk_many([f"{u}/{small}/" for u in urls], duration, [None] * hosts)
        scripts: list[Path | None] = [
            run.answer_script(port, answer_slugs, tmp / f"answer{port}.lua") for _, port in servers
        ]
        before = run.count_answers(env, answer_slugs)
        answers = wrk_many([f"{u}/" for u in urls], duration, scripts)
        stored = run.count_answers(env, answer_slugs) - before
        answers["stored"] = stored
        return {"small_page": page, "answer": answers}
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/hosts.py needs wrk (apt-get install wrk)")
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bitpoll-hosts-") as name, Cluster() as cluster:
        tmp = Path(name)
        for hosts in (1, 2):
            database = f"hosts{hosts}"
            env = {k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_")}
            env.update(
                BITPOLL_DATA_DIR=str(tmp / "seed"),
                BITPOLL_DATABASE_URL=cluster.create_database(database),
                BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
                BITPOLL_WORKERS=str(run.WORKERS),
                BITPOLL_LOG_LEVEL="warning",
                BITPOLL_RATELIMIT_ANSWERS="1000000/1d",
                BITPOLL_RATELIMIT_ANSWERS_PER_POLL="1000000/1d",
                BITPOLL_STATIC_ROOT=str(tmp / "static"),
            )
            subprocess.run([*BITPOLL, "migrate", "-v0"], env=env, check=True)
            subprocess.run([*BITPOLL, "collectstatic", "--noinput", "-v0"], env=env, check=True)
            figures[f"{hosts}_host"] = measure(env, tmp, hosts, args.duration)
    print(json.dumps(figures, indent=2))
    print(f"{'':24}{'1 host x 2 workers':>22}{'2 hosts x 2 workers':>22}")
    for what in ("small_page", "answer"):
        one = figures["1_host"][what]  # type: ignore[index]
        two = figures["2_host"][what]  # type: ignore[index]
        for key, label in (("rps", "req/s"), ("p99_ms", "p99 ms")):
            print(f"{what + ' ' + label:24}{one[key]:>22}{two[key]:>22}")
    print(f"cores: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
