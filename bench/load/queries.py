"""Round trips per request: every flow of the load profile, in process, against a database
holding the demo data (by default the one `make load` leaves behind), counting the SQL
statements each request sends and timing it (median of --repeat runs; one process, no
concurrency, so the times are the cost of a request, not its latency under load).

    python -m bench.load.queries [--url postgresql+psycopg://postgres@127.0.0.1:5432/qaldyq_quality_load]
                                 [--repeat 10] [--show "GET /transfers"] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import time

from fastapi.testclient import TestClient
from sqlalchemy import event

from bench.load import flows as lf
from qaldyq.app import create_app
from qaldyq.core.config import Settings
from qaldyq.core.database import Database


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qaldyq_quality_load")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--show", default=None, help="print the statements of this request (its name in the table)")
    ap.add_argument("--profile", default=None, help="write a cProfile of all the requests to this file")
    ap.add_argument("--skip", action="append", default=[], help="leave out a flow (by function name), e.g. transfers_bulk")
    a = ap.parse_args()
    db = Database(a.url)
    app = create_app(Settings(database_url=a.url, instance_dir="test-artifacts/load/instance", login_rate_per_minute=1000), db)
    statements: list[str] = []
    locked: dict[str, float] = {}  # lock -> when this request's transaction took it
    held: dict[tuple[str, str], list[float]] = collections.defaultdict(list)

    def on_execute(conn, cur, stmt, *rest):
        statements.append(stmt)
        # the rows every writer of their kind locks until commit: the audit chain's head and the
        # public-number counters (docs/quality.md, "Load")
        for lock, marker in (("audit head", "FROM audit_head"), ("counter", "UPDATE counters")):
            if marker in stmt:
                locked.setdefault(lock, time.perf_counter())

    def on_end(conn):
        now = time.perf_counter()
        for lock, t0 in locked.items():
            held[(current[0], lock)].append(now - t0)
        locked.clear()

    current = [""]
    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_end)
    event.listen(db.engine, "rollback", lambda conn: locked.clear())
    counts: dict[str, list[int]] = collections.defaultdict(list)
    times: dict[str, list[float]] = collections.defaultdict(list)
    shown: dict[str, list[str]] = {}

    with TestClient(app, base_url="http://testserver") as http:
        def call(method, url, name, expect=200, check=None, **kwargs):
            statements.clear()
            current[0] = name
            t = time.perf_counter()
            r = http.request(method, url, **kwargs)
            times[name].append(time.perf_counter() - t)
            counts[name].append(len(statements))
            shown.setdefault(name, list(statements))
            assert r.status_code == expect, (name, r.status_code, r.text[:300])
            assert not (check and check(r)), (name, check(r))
            return r

        lf._setup.update(lf.setup_world(http))
        prof = cProfile.Profile() if a.profile else None
        for _ in range(a.repeat):
            for flow in lf.FLOWS:
                if flow.__name__ in a.skip:
                    continue
                if prof:
                    prof.enable()
                flow(call)
                if prof:
                    prof.disable()
    if prof:
        prof.dump_stats(a.profile)
    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if xs else None

    def ms(x):
        return f"{x * 1000:.1f}" if x is not None else "–"

    print(f"{'request':44} {'SQL':>5} {'ms':>8} {'audit head held ms':>19} {'counter held ms':>16}  (medians, in process)")
    for name in counts:
        print(f"{name:44} {median(counts[name]):>5} {ms(median(times[name])):>8} {ms(median(held[(name, 'audit head')])):>19} "
              f"{ms(median(held[(name, 'counter')])):>16}")
    if a.show:
        print("\n".join(shown[a.show]))
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
