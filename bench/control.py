"""Control engine benchmark: a national year of ledger entries generated straight into DuckDB
with fraud patterns injected at known places, all rules run with the engine's own SQL, recall and
precision per pattern, next to a plain DuckDB aggregate of the same entries.

    python -m bench.control --entries 10000000
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date

import duckdb

from qaldyq.control.engine import duckdb_executor, period_params, run_rules
from qaldyq.control.rules import default_rules

K = 12  # injected cases per pattern
FAR = 6.0  # degrees of latitude between a truck's home site and the site of an impossible pick-up


def generate(con, entries: int, sites: int) -> dict[str, set]:
    tx = int(entries / 2.3)  # transfers have 2 entries, processing 3 (30 %): 0.7*2 + 0.3*3 = 2.3
    orgs = max(sites // 2, 1)
    q = con.execute
    # column types as in the application's schema (INTEGER keys, BIGINT ledger ids and masses): with
    # the unsigned integers hash() gives, every join compared keys as 128-bit integers
    q(f"""CREATE TABLE organizations AS SELECT CAST(i AS INTEGER) AS id, CAST(100000000 + (i % 17) * 10000000 AS VARCHAR) AS region_kato
          FROM range(1, {orgs + 1}) r(i)""")
    # sites spread over the country; design capacity ten times their expected processing
    q(f"""CREATE TABLE sites AS SELECT CAST(i AS INTEGER) AS id, CAST(1 + (i % {orgs}) AS INTEGER) AS organization_id, CAST(100000000 + ((1 + (i % {orgs})) % 17) * 10000000 AS VARCHAR) AS region_kato,
          41.0 + (hash(i * 3) % 1300) / 100.0 AS lat, 50.0 + (hash(i * 5) % 3000) / 100.0 AS lon,
          CAST({tx} * 0.3 / {sites} * 10.5 * 10 AS DECIMAL(14, 3)) AS design_capacity_t
          FROM range(1, {sites + 1}) r(i)""")
    q(f"""CREATE TABLE ledger_transactions AS
          SELECT i AS id, CASE WHEN hash(i) % 10 < 3 THEN 'processing' ELSE 'transfer_posted' END AS kind,
                 CAST(1 + hash(i * 7) % {sites} AS INTEGER) AS site_id, '15 01 02' AS waste_code,
                 CAST(501 + hash(i * 13) % 19998 AS BIGINT) AS mass_kg,
                 TIMESTAMP '2025-01-01 00:00:00' + to_seconds(CAST(hash(i * 17) % 31536000 AS BIGINT)) AS effective_at,
                 CAST(NULL AS BIGINT) AS reverses_id, CAST(NULL AS VARCHAR) AS ref_id
          FROM range(1, {tx + 1}) r(i)""")
    truth: dict[str, set] = {}

    def pick(n: int, salt: int, where: str = "TRUE") -> list[int]:
        return [r[0] for r in q(f"SELECT id FROM sites WHERE {where} ORDER BY hash(id * {salt}) LIMIT {n}").fetchall()]

    # mass balance: these sites report outputs 10 % above their inputs
    mb = pick(K, 101)
    truth["mass-balance"] = {f"site {s}" for s in mb}
    mb_list = ",".join(map(str, mb))
    q(f"""CREATE TABLE ledger_entries AS
          SELECT row_number() OVER () AS id, transaction_id, account_id, amount_kg, line, effective_at FROM (
            SELECT id AS transaction_id, site_id * 10 + 1 AS account_id, -mass_kg AS amount_kg, 'settled' AS line, effective_at FROM ledger_transactions WHERE kind = 'transfer_posted'
            UNION ALL SELECT id, site_id * 10 + 2, mass_kg, 'accepted', effective_at FROM ledger_transactions WHERE kind = 'transfer_posted'
            UNION ALL SELECT id, site_id * 10 + 2, -mass_kg, 'input', effective_at FROM ledger_transactions WHERE kind = 'processing'
            UNION ALL SELECT id, site_id * 10 + 3, CASE WHEN site_id IN ({mb_list}) THEN mass_kg + mass_kg // 10 ELSE mass_kg - mass_kg // 50 END, 'output', effective_at FROM ledger_transactions WHERE kind = 'processing'
            UNION ALL SELECT id, site_id * 10 + 4, CASE WHEN site_id IN ({mb_list}) THEN mass_kg // 50 ELSE mass_kg // 50 END, 'loss', effective_at FROM ledger_transactions WHERE kind = 'processing'
          )""")
    # capacity: these sites have a design capacity far below what they process
    cap = pick(K, 103, f"id NOT IN ({mb_list})")
    truth["capacity"] = {f"site {s}" for s in cap}
    q(f"UPDATE sites SET design_capacity_t = 1 WHERE id IN ({','.join(map(str, cap))})")

    # documents, legs, vehicles (one truck per consignor site), instruments with valid certificates
    q(f"""CREATE TABLE transfer_documents AS
          SELECT CAST(t.id AS INTEGER) AS id, 'TD-' || CAST(t.id AS VARCHAR) AS number, CAST(t.id AS INTEGER) AS pending_txn_id, s.organization_id AS receiver_org_id,
                 t.site_id AS receiver_site_id, CAST(1 + (t.site_id % {sites}) AS INTEGER) AS consignor_site_id, CAST(t.mass_kg AS INTEGER) AS declared_mass_kg, CAST(t.mass_kg AS INTEGER) AS net_kg,
                 t.effective_at - INTERVAL 3 HOUR AS picked_up_at, t.effective_at - INTERVAL 1 HOUR AS received_at, t.effective_at AS accepted_at,
                 t.site_id AS instrument_id
          FROM ledger_transactions t JOIN sites s ON s.id = t.site_id WHERE t.kind = 'transfer_posted'""")
    q(f"""CREATE TABLE vehicles AS SELECT CAST(i AS INTEGER) AS id, 'KZ' || CAST(i AS VARCHAR) AS plate, CAST(1 + (i % {orgs}) AS INTEGER) AS organization_id, 20000 AS payload_kg
          FROM range(1, {sites + 1}) r(i)""")
    q("""CREATE TABLE transfer_legs AS SELECT id, id AS document_id, 1 AS seq, consignor_site_id AS vehicle_id, picked_up_at AS taken_over_at,
         consignor_site_id AS site_id FROM transfer_documents""")  # a first leg is taken over at the consignor's site
    q(f"""CREATE TABLE weighing_instruments AS SELECT CAST(i AS INTEGER) AS id, CAST(CASE WHEN i > {sites} THEN 1 ELSE i END AS INTEGER) AS site_id
          FROM range(1, {sites + 2}) r(i)""")
    q(f"""CREATE TABLE verification_certificates AS SELECT CAST(i AS INTEGER) AS id, CAST(i AS INTEGER) AS instrument_id, DATE '2024-06-01' AS valid_from, DATE '2026-05-31' AS valid_to
          FROM range(1, {sites + 1}) r(i)""")  # instrument sites+1 has none

    def docs(n: int, salt: int) -> list[int]:
        return [r[0] for r in q(f"SELECT id FROM transfer_documents ORDER BY hash(id * {salt}) LIMIT {n}").fetchall()]

    taken: set[int] = set()

    def fresh(n: int, salt: int) -> list[int]:
        out = [d for d in docs(n * 3, salt) if d not in taken][:n]
        taken.update(out)
        return out

    cert = fresh(K, 201)
    q(f"UPDATE transfer_documents SET instrument_id = {sites + 1} WHERE id IN ({','.join(map(str, cert))})")
    truth["certificate"] = {f"TD-{d}" for d in cert}
    order = fresh(K, 203)
    q(f"UPDATE transfer_documents SET received_at = picked_up_at - INTERVAL 1 HOUR WHERE id IN ({','.join(map(str, order))})")
    truth["receipt-before-dispatch"] = {f"TD-{d}" for d in order}
    payload = fresh(K, 205)
    q(f"UPDATE transfer_documents SET net_kg = 30000 WHERE id IN ({','.join(map(str, payload))})")
    truth["payload"] = {f"TD-{d}" for d in payload}
    # impossible travel: a truck picks up at a site far from home 30 minutes after a pick-up at home
    travel = fresh(K, 207)
    rows = q(f"""SELECT d.id, d.consignor_site_id, d.picked_up_at, s.lat FROM transfer_documents d JOIN sites s ON s.id = d.consignor_site_id
                 WHERE d.id IN ({','.join(map(str, travel))}) ORDER BY d.id""").fetchall()
    truth["impossible-travel"] = set()
    next_id = q("SELECT max(id) + 1 FROM transfer_documents").fetchone()[0]  # ids stay serial integers
    for k, (doc_id, home, t, lat) in enumerate(rows):
        far = q(f"SELECT id FROM sites WHERE abs(lat - {lat}) > {FAR} ORDER BY id LIMIT 1 OFFSET {k}").fetchone()[0]
        new_id = next_id + k
        q(f"""INSERT INTO transfer_documents VALUES ({new_id}, 'TD-{new_id}', NULL, 1, {far}, {far}, 1000, 1000,
              TIMESTAMP '{t}' + INTERVAL 30 MINUTE, TIMESTAMP '{t}' + INTERVAL 90 MINUTE, TIMESTAMP '{t}' + INTERVAL 100 MINUTE, {far})""")
        q(f"INSERT INTO transfer_legs VALUES ({new_id}, {new_id}, 1, {home}, TIMESTAMP '{t}' + INTERVAL 30 MINUTE, {far})")
        truth["impossible-travel"].add(f"TD-{new_id}")

    # identical weights: 8 receipts of exactly 7,777 kg; round weights: a site weighing in whole tonnes
    used = set(mb) | set(cap)
    ident = pick(K, 301, f"id NOT IN ({','.join(map(str, used))})")
    used |= set(ident)
    truth["identical-weights"] = {f"site {s}" for s in ident}
    q(f"""UPDATE ledger_transactions SET mass_kg = 7777 WHERE id IN (
            SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY site_id ORDER BY id) AS n FROM ledger_transactions
                            WHERE kind = 'transfer_posted' AND site_id IN ({','.join(map(str, ident))})) WHERE n <= 8)""")
    rnd = pick(K, 303, f"id NOT IN ({','.join(map(str, used))})")
    used |= set(rnd)
    truth["round-weights"] = {f"site {s}" for s in rnd}
    q(f"UPDATE ledger_transactions SET mass_kg = (1 + mass_kg // 1000) * 1000 WHERE kind = 'transfer_posted' AND site_id IN ({','.join(map(str, rnd))})")
    # sudden jump: December receipts six times the site's usual
    jump = pick(K, 305, f"id NOT IN ({','.join(map(str, used))})")
    truth["sudden-jump"] = {f"site {s} 2025-12" for s in jump}
    q(f"""UPDATE ledger_transactions SET mass_kg = mass_kg * 6
          WHERE kind = 'transfer_posted' AND site_id IN ({','.join(map(str, jump))}) AND effective_at >= TIMESTAMP '2025-12-01 00:00:00'""")

    # claims: one per site for collection, lines for a fifth of its receipts
    q("""CREATE TABLE payout_contracts AS SELECT id, '["collection"]' AS operations, '["packaging-polymer"]' AS categories FROM sites""")
    q("""CREATE TABLE payout_claims AS SELECT id, organization_id, id AS contract_id, 'PC-' || CAST(id AS VARCHAR) AS number, 'submitted' AS status,
         DATE '2025-01-01' AS period_from, DATE '2025-12-31' AS period_to FROM sites""")
    q("""CREATE TABLE payout_claim_lines AS SELECT CAST(id AS INTEGER) AS id, site_id AS claim_id, id AS transaction_id, mass_kg, 'packaging-polymer' AS category, 'collection' AS operation
         FROM ledger_transactions WHERE kind = 'transfer_posted' AND hash(id * 11) % 5 = 0""")
    above = pick(K, 401)
    truth["claim-above-ledger"] = {f"PC-{c}" for c in above}
    q(f"""UPDATE payout_claim_lines SET mass_kg = mass_kg + 1000 WHERE id IN (
            SELECT min(id) FROM payout_claim_lines WHERE claim_id IN ({','.join(map(str, above))}) GROUP BY claim_id)""")
    outside = pick(K, 403)
    truth["claim-outside-contract"] = {f"PC-{c} batteries" for c in outside}
    q(f"""UPDATE payout_claim_lines SET category = 'batteries' WHERE id IN (
            SELECT max(id) FROM payout_claim_lines WHERE claim_id IN ({','.join(map(str, outside))}) GROUP BY claim_id)""")
    return truth


# Lower bounds for the two heaviest rules: the part of their work that no exact formulation can
# skip, timed like the reference. Identical weights must find which of ~3 M (site, weight) pairs of
# the receipts repeat, which is at least telling the distinct pairs apart; the mass balance must
# put each processing entry on its transaction's site and kind, which live on the transaction
# (losses and end-of-waste products go to world accounts that have no site).
FLOORS = {
    "identical-weights": """SELECT count(*) FROM (SELECT site_id, mass_kg FROM ledger_transactions
                            WHERE kind = 'transfer_posted' AND effective_at >= $start AND effective_at < $end GROUP BY site_id, mass_kg)""",
    "mass-balance": """SELECT t.site_id, sum(e.amount_kg) FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
                       WHERE t.kind = 'processing' AND t.effective_at >= $start AND t.effective_at < $end GROUP BY t.site_id""",
}


def key(rule_id: str, f) -> str:
    """The identifier a finding is matched to the injected truth by."""
    if rule_id in ("certificate", "receipt-before-dispatch"):
        return f.subject
    if rule_id == "payload":
        return f.subject.split()[-1]
    return f.subject


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=10_000_000)
    ap.add_argument("--sites", type=int, default=3_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs for the reference and for all rules")
    args = ap.parse_args()
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {args.threads}")
    t0 = time.perf_counter()
    truth = generate(con, args.entries, args.sites)
    n_entries = con.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
    gen_s = time.perf_counter() - t0
    print(f"generated {n_entries:,} ledger entries, {con.execute('SELECT count(*) FROM ledger_transactions').fetchone()[0]:,} transactions, "
          f"{con.execute('SELECT count(*) FROM transfer_documents').fetchone()[0]:,} documents in {gen_s:.1f} s")

    rules = default_rules()
    run = lambda rs: run_rules(duckdb_executor(con), "duckdb", rs, date(2025, 1, 1), date(2025, 12, 31))  # noqa: E731
    # The reference and the full run are timed alternately, best of --repeat each, so that both see
    # the same machine (it is shared, and a first query after the generation pays for warming up).
    ref_s = run_s = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        con.execute("SELECT account_id, sum(amount_kg), count(*) FROM ledger_entries GROUP BY account_id").fetchall()
        ref_s = min(ref_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = run(rules)
        run_s = min(run_s, time.perf_counter() - t0)

    def best(f) -> float:
        out = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            f()
            out = min(out, time.perf_counter() - t)
        return out

    # each rule alone and the lower bounds, best of --repeat, for the tables in the docs
    per_rule = {rule.id: best(lambda r=(rule, params): run([r])) for rule, params in rules}
    period = {k: v for k, v in period_params(date(2025, 1, 1), date(2025, 12, 31), "duckdb").items() if k in ("start", "end")}
    floors = {rid: best(lambda sql=sql: con.execute(sql, period).fetchall()) for rid, sql in FLOORS.items()}

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, DuckDB {duckdb.__version__}, threads {args.threads}")
    print(f"plain DuckDB aggregate (sum, count by account over all entries), best of {args.repeat}: {ref_s:.3f} s")
    print(f"all rules, best of {args.repeat}: {run_s:.3f} s = {run_s / ref_s:.1f}x the plain aggregate; {n_entries / run_s:,.0f} entries/s")
    print(f"{'rule':26} {'injected':>8} {'found':>6} {'recall':>7} {'precision':>9} {'seconds':>8} {'x ref':>6}")
    ok = True
    # identical weights also (rightly) fires where a site weighs in whole tonnes
    also = {"identical-weights": {"round-weights"}}
    for rule, _ in rules:
        rid = rule.id
        got = {key(rid, f) for f in found if f.rule_id == rid}
        want = truth.get(rid, set())
        hits = {g for g in got if g in want}
        if rid == "impossible-travel":  # a pair counts when one of its two documents is an injected one
            pairs = [f for f in found if f.rule_id == rid]
            got = {f.subject for f in pairs}
            hits = {f.subject for f in pairs if set(f.documents) & want}
            precision = len(hits) / len(got) if got else 1.0
            recall = len({d for f in pairs for d in f.documents} & want) / len(want)
            ok &= recall == 1.0
            print(f"{rid:26} {len(want):8} {len(got):6} {recall:7.2f} {precision:9.2f} {per_rule[rid]:8.3f} {per_rule[rid] / ref_s:6.1f}")
            continue
        if rid == "identical-weights":
            sites_ok = {x for x in want} | truth["round-weights"]
            hits_sites = {g for g in got if " ".join(g.split()[:2]) in sites_ok}
            precision = len(hits_sites) / len(got) if got else 1.0
            recall = len({" ".join(g.split()[:2]) for g in got} & want) / len(want)
        else:
            precision = len(hits) / len(got) if got else 1.0
            recall = len(hits) / len(want) if want else 1.0
        ok &= recall == 1.0
        print(f"{rid:26} {len(want):8} {len(got):6} {recall:7.2f} {precision:9.2f} {per_rule[rid]:8.3f} {per_rule[rid] / ref_s:6.1f}")
    print("every injected pattern found" if ok else "SOME INJECTED PATTERNS WERE MISSED")
    print("lower bounds (the work no exact formulation skips, best of %d): " % args.repeat
          + ", ".join(f"{rid} {s:.3f} s = {s / ref_s:.1f}x" for rid, s in floors.items())
          + f"; these two alone {sum(floors.values()) / ref_s:.1f}x the plain aggregate")


if __name__ == "__main__":
    main()
