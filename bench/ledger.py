"""Ledger posting throughput: single postings (one savepoint each) against post_many batches,
for generation, transfer pick-ups and acceptances, on a fresh migrated database.

    python -m bench.ledger                          # PostgreSQL at 127.0.0.1:5432 (a scratch database)
    python -m bench.ledger --url sqlite:////tmp/b.db
    python -m bench.ledger --n 20000 --batch 1000

Prints postings per second per kind and path. The scratch PostgreSQL database is dropped at the end.
"""

from __future__ import annotations


import argparse
import time

from rich.console import Console
from rich.table import Table

from qaldyq.core import migrate
from qaldyq.core.audit import SYSTEM, set_actor
from qaldyq.core.database import Database
from qaldyq.ledger import service as L
from qaldyq.ledger.integrity import verify_ledger
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.models import Organization, Site
from bench import drop_pg, scratch_pg

SITES = 200
CODE = "20 03 01"



def make_sites(db) -> list[int]:
    org = Organization(bin=complete_bin("24014099990") or "240140999901", name_kk="Bench", name_ru="Bench", legal_form="llp", region_kato="710000000")
    db.add(org)
    db.flush()
    sites = [Site(organization_id=org.id, name=f"Bench {i}", site_type="generator", region_kato="710000000", settlement="Астана", lat=51.1, lon=71.4,
                  permitted_operations=[], permitted_waste_codes=[]) for i in range(SITES)]
    db.add_all(sites)
    db.flush()
    return [s.id for s in sites]


def run(url: str, n: int, batch: int) -> list[tuple[str, str, int, float]]:
    migrate.upgrade(url)
    database = Database(url)
    db = database.session()
    set_actor(db, SYSTEM)
    sites = make_sites(db)
    db.commit()
    rows = []

    def timed(label: str, path: str, count: int, fn) -> list:
        t = time.perf_counter()
        out = fn()
        db.commit()
        rows.append((label, path, count, count / (time.perf_counter() - t)))
        return out

    def single(prefix, make):
        out = []
        for i in range(n):
            out.append(make(prefix, i))
            if i % batch == batch - 1:
                db.commit()
        return out

    def many(prefix, item):
        out = []
        for start in range(0, n, batch):
            out += L.post_many(db, [item(prefix, i) for i in range(start, min(n, start + batch))])
            db.commit()
        return out

    def gen(p, i):
        return ("generation", {"key": f"{p}g{i}", "site_id": sites[i % SITES], "waste_code": CODE, "mass_kg": 1_000})

    def pick(p, i):
        return ("pend_transfer", {"key": f"{p}p{i}", "consignor_site_id": sites[i % SITES], "receiver_site_id": sites[(i + 1) % SITES], "waste_code": CODE, "mass_kg": 900})

    for path, runner in (("single", lambda p, item: single(p, lambda p_, i: getattr(L, L.BATCH_FUNCTIONS[item(p_, i)[0]])(db, **item(p_, i)[1]))),
                         ("post_many", many)):
        p = path[0]
        timed("generation", path, n, lambda: runner(p, gen))
        picks = timed("pick-up (pending)", path, n, lambda: runner(p, pick))
        ids = [x.transaction_id for x in picks]

        def accept(p_, i, ids=ids):
            return ("post_transfer", {"key": f"{p_}s{i}", "pending_id": ids[i], "accepted_kg": 880, "refused_kg": 10})

        timed("acceptance (posted)", path, n, lambda: runner(p, accept))
    check = verify_ledger(db)
    rows.append(("verify_ledger", "ok" if check.ok else "FAILED", check.transactions, 0.0))
    db.close()
    database.dispose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="database URL (default: a scratch PostgreSQL database)")
    ap.add_argument("--n", type=int, default=5_000, help="postings per kind and path")
    ap.add_argument("--batch", type=int, default=1_000)
    args = ap.parse_args()
    scratch = None
    url = args.url
    if url is None:
        url, scratch = scratch_pg("ledger")
    try:
        rows = run(url, args.n, args.batch)
    finally:
        if scratch:
            drop_pg(scratch)
    table = Table(title=f"Ledger postings on {url.split('://')[0]} (n={args.n}, batch={args.batch})")
    for col in ("kind", "path", "count", "postings/s"):
        table.add_column(col, justify="right" if col in ("count", "postings/s") else "left")
    for label, path, count, rate in rows:
        table.add_row(label, path, str(count), f"{rate:,.0f}" if rate else "")
    Console().print(table)


if __name__ == "__main__":
    main()
