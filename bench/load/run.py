"""`make load`: a fresh PostgreSQL database with the demo data, `qaldyq serve` on it, locust
headless with the profile of bench/load/flows.py; prints p50/p95/p99 per endpoint and errors and
writes them as a Markdown table to paste into the docs.

    python -m bench.load.run [--users 300] [--rate 10] [--time 10m] [--workers 2] [--port 8117]

Output in --out (default test-artifacts/load/): report.md (the table, the CPU shares and the
failures), locust_stats.csv, locust_failures.csv, locust.html, server.log.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--rate", type=float, default=10, help="users started per second")
    ap.add_argument("--time", default="3m")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8117)
    ap.add_argument("--pg", default=os.environ.get("QALDYQ_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default="test-artifacts/load")
    ap.add_argument("--users-only", nargs="*", default=[], metavar="CLASS",
                    help="run only these locust user classes (Person, Tracker, ErpBatch), e.g. to see the profile without bulk batches")
    a = ap.parse_args()

    name = "qaldyq_quality_load"  # a name of its own: other checkouts may run their own load databases
    admin = create_engine(a.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = a.pg.rsplit("/", 1)[0] + "/" + name
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QALDYQ_DATABASE_URL": url, "QALDYQ_INSTANCE_DIR": str(out / "instance"), "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)]))}
    print(f"loading the demo data into {url} …", flush=True)
    subprocess.run([sys.executable, "-m", "qaldyq.cli", "demo", "--load-only"], env=env, check=True, stdout=subprocess.DEVNULL)
    # The daily partitions of GPS points from two days back to tomorrow, as the cron job of
    # docs/telemetry.md would have made them: the ingest then never creates one under load.
    subprocess.run([sys.executable, "-c", "from datetime import datetime, timedelta, timezone; from qaldyq.core.commands import cli_session; "
                    "from qaldyq.telemetry.service import ensure_partitions\n"
                    "with cli_session('load partitions') as db: ensure_partitions(db, [datetime.now(timezone.utc).date() + timedelta(days=k) for k in range(-2, 2)])"],
                   env=env, check=True)

    cpu0, busy0, load0 = _children_cpu(), _cpu_busy(), os.getloadavg()[0]
    server = subprocess.Popen([sys.executable, "-m", "qaldyq.cli", "serve", "--host", "127.0.0.1", "--port", str(a.port), "--workers", str(a.workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(out / "server.log", "w"))
    host = f"http://127.0.0.1:{a.port}"
    started = time.monotonic()
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{host}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(a.users), "-r", str(a.rate),
               "-t", a.time, "--host", host, "--csv", str(out / "locust"), "--html", str(out / "locust.html"), "--only-summary",
               "--stop-timeout", "60", *a.users_only]
        print("$", " ".join(cmd), flush=True)
        rc = subprocess.run(cmd, env=env).returncode
        locust_cpu = _children_cpu() - cpu0
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # requests still queued on a saturated server
            server.kill()
            server.wait(10)
    wall = time.monotonic() - started
    server_cpu = _children_cpu() - cpu0 - locust_cpu
    busy1 = _cpu_busy()
    machine = (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) if busy1[1] > busy0[1] else 0.0
    cores = os.cpu_count() or 1
    cpu = (f"CPU over {wall:.0f} s on {cores} cores: machine busy {machine:.0%}; qaldyq server (all workers) {server_cpu / wall / cores:.0%}, "
           f"locust {locust_cpu / wall / cores:.0%} of the machine; the rest is PostgreSQL and other processes")
    table = report(out / "locust_stats.csv", out / "locust_failures.csv")
    only = f" --users-only {' '.join(a.users_only)}" if a.users_only else ""
    head = (f"`python -m bench.load.run --users {a.users} --rate {a.rate:g} --time {a.time} --workers {a.workers}{only}` — "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC (end), {platform.node()}, load average {load0:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end")
    (out / "report.md").write_text(f"{head}\n\n{table}\n{cpu}\n")
    print(f"\n{table}\n{cpu}\n\nwritten: {out / 'report.md'}, {out / 'locust.html'}")
    return rc


def report(stats: Path, failures: Path) -> str:
    rows = list(csv.DictReader(stats.open()))
    lines = ["| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        label = r["Name"] if r["Name"] != "Aggregated" else "**all**"
        lines.append(f"| {label} | {r['Request Count']} | {r['Failure Count']} | {r['50%']} | {r['95%']} | {r['99%']} | {float(r['Max Response Time']):.0f} |")
    fails = list(csv.DictReader(failures.open())) if failures.exists() else []
    if fails:
        lines.append("\nFailures:\n")
        lines += [f"- {f['Occurrences']} × {f['Method']} {f['Name']}: {f['Error'][:300]}" for f in sorted(fails, key=lambda f: -int(f["Occurrences"]))[:15]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
