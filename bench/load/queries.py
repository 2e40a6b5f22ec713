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
    event.listen(db.engine, "before_cursor_execute", lambda conn, cur, stmt, *rest: statements.append(stmt))
    counts: dict[str, list[int]] = collections.defaultdict(list)
    times: dict[str, list[float]] = collections.defaultdict(list)
    shown: dict[str, list[str]] = {}

    with TestClient(app, base_url="http://testserver") as http:
        def call(method, url, name, expect=200, check=None, **kwargs):
            statements.clear()
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
    print(f"{'request':52} {'SQL':>5} {'ms':>8}  (median in process)")
    for name in counts:
        c, ts = sorted(counts[name]), sorted(times[name])
        print(f"{name:52} {c[len(c) // 2]:>5} {ts[len(ts) // 2] * 1000:>8.1f}")
    if a.show:
        print("\n".join(shown[a.show]))
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
