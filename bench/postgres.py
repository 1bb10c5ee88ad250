"""PostgreSQL against SQLite, alternating: the three requests issue 16 compares.

Usage: python bench/postgres.py [--rounds N] [--duration SECONDS] [--statements]

`bench/run.py --postgres` measures everything on SQLite and then everything on PostgreSQL,
minutes apart: on a shared machine the ratio then mostly measures what else ran meanwhile.
This script starts both servers side by side (each `bitpoll serve`, 2 workers, the small and
big polls of `bench/seed.py` and its answer copies; PostgreSQL a throwaway cluster reached over
loopback TCP, as one machine would run it) and measures the small poll page, the big poll page
and answers to the small poll on each in turn, SQLite and PostgreSQL alternating within every
round (the order swapped each round). Prints per round and the median of the rounds
PostgreSQL's requests/s as a share of SQLite's, and the load average around each round; and
the CPU time per request of the server's processes (for PostgreSQL plus every process of its
cluster), which says what a saturated machine could serve whatever else runs on it.

With `--statements` it also lists the statements PostgreSQL ran for one cache hit and one
answer (from the server's log), with their count.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import run  # noqa: E402  (bench/run.py: wrk, forms, requests)

REQUESTS = ("small", "big", "answer")


def start(backend: str, tmp: Path, cluster: object | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_")}
    env.update(
        BITPOLL_DATA_DIR=str(tmp / backend),
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_WORKERS=str(run.WORKERS),
        BITPOLL_LOG_LEVEL="warning",
        BITPOLL_RATELIMIT_ANSWERS="1000000/1d",
        BITPOLL_RATELIMIT_ANSWERS_PER_POLL="1000000/1d",
    )
    if cluster is not None:
        env["BITPOLL_DATABASE_URL"] = cluster.create_database("bench")  # type: ignore[attr-defined]
    bitpoll = [sys.executable, "-m", "bitpoll"]
    subprocess.run([*bitpoll, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*bitpoll, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    out = subprocess.run(
        [sys.executable, str(HERE / "seed.py"), "small", "big"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import json

    seeded: dict[str, str] = json.loads(out)
    port = run.free_port()
    env["BITPOLL_BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [*bitpoll, "serve", "--no-migrate"], env=env, stderr=subprocess.DEVNULL
    )
    run.wait_healthy(port, server, time.perf_counter(), f"/{seeded['small']}/")
    answer_slugs = [v for k, v in seeded.items() if k.startswith("answer-")]
    script = run.answer_script(port, answer_slugs, tmp / f"answer-{backend}.lua")
    base = f"http://127.0.0.1:{port}"
    return {
        "server": server,
        "port": port,
        "seeded": seeded,
        "urls": {
            "small": (f"{base}/{seeded['small']}/", None),
            "big": (f"{base}/{seeded['big']}/", None),
            "answer": (base, script),
        },
    }


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(side: dict[str, object], what: str, duration: int) -> tuple[float, float]:
    """Requests/s, and CPU milliseconds per request of the server and its database (for
    PostgreSQL every process of the cluster: its backends do the queries' work)."""
    url, script = side["urls"][what]  # type: ignore[index]
    server: subprocess.Popen[bytes] = side["server"]  # type: ignore[assignment]
    pids = run.process_tree(server.pid)
    postmaster = side.get("postmaster")
    if postmaster is not None:
        pids += run.process_tree(int(postmaster))  # type: ignore[call-overload]
    before = cpu_seconds(pids)
    figures = run.wrk(url, duration, script)
    used = cpu_seconds(pids) - before
    return figures["rps"], 1000 * used / max(1, figures["requests"])


def statements(cluster: object, side: dict[str, object]) -> None:
    """Print what PostgreSQL ran for one cache hit and one answer."""
    log = Path(cluster.root) / "server.log"  # type: ignore[attr-defined]
    admin = cluster._admin()  # type: ignore[attr-defined]
    with admin:
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    port = int(side["port"])  # type: ignore[call-overload]
    seeded: dict[str, str] = side["seeded"]  # type: ignore[assignment]
    action, body, cookie = run.answer_form(port, f"/{seeded['answer-1']}/")
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://127.0.0.1:{port}/",
    }
    for label, args in (
        ("cache hit of the small poll page", (f"/{seeded['small']}/",)),
        ("answer to the small poll", (action, headers, "POST", body)),
    ):
        for _ in range(20):  # each worker warm, statements prepared where they will be
            run.request(port, *args)  # type: ignore[arg-type]
        time.sleep(0.3)
        before = len(log.read_text(errors="replace").splitlines())
        status = run.request(port, *args)[0]  # type: ignore[arg-type]
        time.sleep(0.3)
        lines = [
            line.split("LOG:", 1)[1].strip()
            for line in log.read_text(errors="replace").splitlines()[before:]
            if "LOG:" in line and ("statement:" in line or "execute" in line)
        ]
        print(f"-- {label} ({status}): {len(lines)} statements")
        for line in lines:
            print(f"   {line[:150]}")
    with cluster._admin() as admin:  # type: ignore[attr-defined]
        admin.execute("ALTER SYSTEM RESET log_statement")
        admin.execute("SELECT pg_reload_conf()")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--statements", action="store_true", help="list PostgreSQL's statements")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/postgres.py needs wrk (apt-get install wrk)")
    from pgcluster import Cluster  # type: ignore[import-not-found]

    run.compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bitpoll-bench-pg-") as name, Cluster() as cluster:
        tmp = Path(name)
        sides = {
            "sqlite": start("sqlite", tmp, None),
            "postgresql": start("postgresql", tmp, cluster),
        }
        pid_file = cluster.data / "postmaster.pid"
        sides["postgresql"]["postmaster"] = int(pid_file.read_text().split()[0])
        try:
            if args.statements:
                statements(cluster, sides["postgresql"])
            for side in sides.values():  # every worker warm, every page cached
                for what in REQUESTS:
                    url, script = side["urls"][what]  # type: ignore[index]
                    run.wrk(url, 1, script)
            ratios: dict[str, list[float]] = {what: [] for what in REQUESTS}
            cpu: dict[str, dict[str, list[float]]] = {
                b: {what: [] for what in REQUESTS} for b in sides
            }
            print(f"{'round':<7}{'load':>6}  " + "".join(f"{w:>28}" for w in REQUESTS))
            print(f"{'':<13}  " + "".join(f"{'SQLite/PG req/s (PG %)':>28}" for _ in REQUESTS))
            for number in range(args.rounds):
                load = os.getloadavg()[0]
                cells = []
                for what in REQUESTS:
                    order = ["sqlite", "postgresql"]
                    if number % 2:
                        order.reverse()
                    rps = {}
                    for backend in order:
                        rps[backend], used = measured(sides[backend], what, args.duration)
                        cpu[backend][what].append(used)
                    share = 100 * rps["postgresql"] / rps["sqlite"]
                    ratios[what].append(share)
                    cells.append(f"{rps['sqlite']:.0f}/{rps['postgresql']:.0f} ({share:.0f}%)")
                print(f"{number + 1:<7}{load:>6.1f}  " + "".join(f"{c:>28}" for c in cells))
            print(
                f"median over {args.rounds} rounds, load now {os.getloadavg()[0]:.1f}: "
                + ", ".join(
                    f"{what} {statistics.median(r):.0f}% ({min(r):.0f}-{max(r):.0f}%)"
                    for what, r in ratios.items()
                )
            )
            # CPU per request says what a saturated machine can serve, whatever else runs.
            print(
                "CPU ms per request (server processes; for PostgreSQL also its cluster), median: "
                + ", ".join(
                    f"{what} SQLite {statistics.median(cpu['sqlite'][what]):.2f} / "
                    f"PostgreSQL {statistics.median(cpu['postgresql'][what]):.2f}"
                    for what in REQUESTS
                )
            )
            for what, r in ratios.items():
                met = statistics.median(r) >= 70
                print(
                    f"target: PostgreSQL {what} >= 70% of SQLite's: {'met' if met else 'not met'}"
                )
        finally:
            for side in sides.values():
                server: subprocess.Popen[bytes] = side["server"]  # type: ignore[assignment]
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)


if __name__ == "__main__":
    main()
