"""Transfer documents through their whole signed lifecycle via the bulk path, against a raw
bulk insert of the same rows into the same tables, on a fresh migrated PostgreSQL database.

    python -m bench.transfers --documents 2000          # PostgreSQL at 127.0.0.1:5432 (scratch database, dropped at the end)
    python -m bench.transfers --documents 2000 --profile /tmp/transfers.prof
    python -m bench.transfers --documents 2000 --key p256     # ECDSA P-256 signers instead of RSA-2048

Each document: create (consignor) -> sign_consignor -> vehicle, sign_carrier (carrier) -> weighing,
receive, acceptance, accept (receiver): 8 bulk items, 4 of them signed with a real RSA-2048 key
(the national CA's RSA hierarchy; `--key p256` for ECDSA P-256) by a certificate chained to a
trusted CA. Items go in batches of up to 1,000 per acting
organization, exactly as `POST /api/v1/transfers/bulk` runs them (`bulk.run`, one savepoint
each), with the signing requests (`service.signing_requests`, one call per batch) counted as server work and the
client's own signing not counted. Run twice: with signature verification, and with
`signing.verify` replaced by a look-up of the signer's certificate (no cryptography, no chain
check) to show what verification costs. Then the rows those runs wrote (documents, legs,
versions, signatures, bulk results) are inserted again with plain executemany: the floor any
implementation pays to store them. The ledger postings are part of the lifecycle runs but not
of the raw insert (so the ratio flatters the raw path slightly). Last, the Python work a signed
lifecycle needs whatever stores it (bench/transfers_floor.py): the bound on one core.

This machine's PostgreSQL runs with autovacuum off; production runs it, so the benchmark
analyzes the tables after each phase as autovacuum's analyze would (without it, plans made on
the first thousand rows stay in use for the next million).
"""

from __future__ import annotations


import argparse
import base64
import cProfile
import hashlib
import json
import random
import time
from datetime import date, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import MetaData, create_engine, select, text

from qaldyq.core import migrate
from qaldyq.core.audit import set_actor
from qaldyq.core.auth import principal_for_user
from qaldyq.core.database import Database, utcnow
from qaldyq.core.models import User
from qaldyq.core import service as core_service
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.models import Organization, OrganizationRole, Site, Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.signing import service as signing
from qaldyq.signing.models import UserCertificate
from qaldyq.transfers import bulk, service
from tests.signing.pki import make_ca, pem, sign_b64
from bench import drop_pg, scratch_pg
from bench.transfers_floor import seconds_per_document

GENERATORS, CARRIERS, RECEIVERS, TRUCKS = 40, 10, 10, 8
# a month's mix: municipal solid waste to landfills and sorting, packaging to recyclers
MIX = [("20 03 01", "D1", 0.7), ("15 01 02", "R3", 0.2), ("15 01 01", "R3", 0.1)]
console = Console()



_bins = iter(range(10_000, 99_999))


def _org(db, role: str, name: str) -> Organization:
    while (b := complete_bin(f"2401{next(_bins):07d}")) is None:
        pass
    org = Organization(bin=b, name_kk=name, name_ru=name, legal_form="llp", region_kato="710000000", hazardous_license=None)
    db.add(org)
    db.flush()
    db.add(OrganizationRole(organization_id=org.id, role=role))
    return org


class World:
    """Generators, carriers with trucks, receivers with a verified scale; one signing user each."""

    def __init__(self, db, key_kind: str = "rsa"):
        self.key_kind = "rsa" if key_kind == "rsa" else "ec"
        self.ca = make_ca("Bench CA")
        signing.trust_add(db, self.ca.pem, "bench")
        self.keys, self.principals = {}, {}
        self.gen_sites, self.carriers, self.trucks, self.rec_sites, self.scales = [], [], {}, [], {}
        for i in range(GENERATORS):
            org = self._party(db, "waste_generator", f"Генератор {i}")
            self.gen_sites.append((org.id, self._site(db, org, "generator", [], [])))
        for i in range(CARRIERS):
            org = self._party(db, "carrier", f"Перевозчик {i}")
            vs = [Vehicle(plate=f"{i:03d}BN{t:02d}", organization_id=org.id, vehicle_type="garbage_truck", payload_kg=12_000) for t in range(TRUCKS)]
            db.add_all(vs)
            db.flush()
            self.carriers.append(org.id)
            self.trucks[org.id] = [v.id for v in vs]
        for i in range(RECEIVERS):
            org = self._party(db, "recycler", f"Приёмщик {i}")
            site = self._site(db, org, "recycling", ["15 01", "20 03"], ["R3", "R5", "D1"])
            today = date.today()
            scale = WeighingInstrument(site_id=site, name="Автовесы", instrument_type="truck_scale", serial_number=f"SN-{i}", year_made=2020, max_load_kg=60_000)
            scale.certificates = [VerificationCertificate(number=f"ПС-{i}", valid_from=today - timedelta(days=30), valid_to=today + timedelta(days=300))]
            db.add(scale)
            db.flush()
            self.rec_sites.append((org.id, site))
            self.scales[org.id] = scale.id

    def _party(self, db, role, name) -> Organization:
        org = _org(db, role, name)
        user = core_service.create_user(db, username=f"bench{org.id}", password="bench-password-1", full_name=name, organization_id=org.id, role="org_user")
        cert, key = self.ca.issue(name, kind=self.key_kind)
        signing.register_certificate(db, user.id, pem(cert))
        db.flush()
        self.keys[org.id] = key
        self.principals[org.id] = principal_for_user(db.get(User, user.id), "bench")
        return org

    def _site(self, db, org, site_type, codes, ops) -> int:
        s = Site(organization_id=org.id, name=f"{org.name_ru} площадка", site_type=site_type, region_kato="710000000", settlement="Астана",
                 lat=51.1, lon=71.4, permitted_waste_codes=codes, permitted_operations=ops)
        db.add(s)
        db.flush()
        return s.id


def plan(world: World, n: int, rng: random.Random) -> list[dict]:
    docs = []
    for i in range(n):
        gen_org, gen_site = rng.choice(world.gen_sites)
        rec_org, rec_site = rng.choice(world.rec_sites)
        carrier = rng.choice(world.carriers)
        code, op = rng.choices([(c, o) for c, o, _ in MIX], weights=[w for *_, w in MIX])[0]
        mass = rng.randint(300, 9_000)
        net = max(1, int(mass * rng.uniform(0.95, 1.04)))
        refused = int(net * 0.1) if rng.random() < 0.05 else 0
        docs.append({"i": i, "gen_org": gen_org, "rec_org": rec_org, "carrier": carrier, "vehicle": rng.choice(world.trucks[carrier]),
                     "net": net, "refused": refused, "data": {
                         "consignor_site_id": gen_site, "receiver_site_id": rec_site, "legs": [{"carrier_org_id": carrier}], "waste_code": code,
                         "description": "ТБО, несортированные" if code.startswith("20") else "Упаковка", "physical_form": "solid",
                         "containers": [{"type": "container", "count": rng.randint(1, 6)}], "declared_mass_kg": mass, "mass_basis": "estimated",
                         "planned_operation": op}})
    return docs


def lifecycle(database: Database, world: World, docs: list[dict], tag: str, batch: int) -> tuple[float, dict[str, float]]:
    """Run every phase in bulk; returns (server seconds, seconds per phase)."""
    phases: dict[str, float] = {}
    by_org = lambda key: {org: [d for d in docs if d[key] == org] for org in {d[key] for d in docs}}  # noqa: E731

    def run_phase(name: str, party_key: str, make_item, signed_action: str | None = None):
        spent = 0.0
        for org, group in by_org(party_key).items():
            principal = world.principals[org]
            for k in range(0, len(group), batch):
                chunk = group[k:k + batch]
                db = database.session(write=True)
                set_actor(db, principal.actor)
                items, t0 = [], time.perf_counter()
                if signed_action:
                    payloads = [r[0] for r in service.signing_requests(db, principal, [(d["number"], signed_action) for d in chunk])]
                    spent += time.perf_counter() - t0
                    sigs = [sign_b64(world.keys[org], p) for p in payloads]  # the client's work: not timed
                    items = [{"idempotency_key": f"bench-{tag}-{name}-{d['i']}", "op": "sign", "number": d["number"],
                              "data": {"action": signed_action, "sha256": hashlib.sha256(p).hexdigest(), "signature": s}}
                             for d, p, s in zip(chunk, payloads, sigs)]
                else:
                    items = [make_item(d) for d in chunk]
                t0 = time.perf_counter()
                results = bulk.run(db, principal, items)
                db.commit()
                spent += time.perf_counter() - t0
                db.close()
                for d, r in zip(chunk, results):
                    if not r.ok:
                        raise SystemExit(f"{name} {d['i']}: {r.problem.code} {r.problem.params} {[e.pointer for e in r.problem.errors]}")
                    d["number"], d["version"] = r.number, r.version
        phases[name] = spent
        with database.engine.connect() as c:  # what autovacuum would do (see the module docstring); not timed
            c.execute(text("ANALYZE"))
            c.commit()

    run_phase("create", "gen_org", lambda d: {"idempotency_key": f"bench-{tag}-create-{d['i']}", "op": "create", "data": d["data"]})
    run_phase("sign_consignor", "gen_org", None, "sign_consignor")
    run_phase("vehicle", "carrier", lambda d: {"idempotency_key": f"bench-{tag}-vehicle-{d['i']}", "op": "vehicle", "number": d["number"],
                                               "data": {"vehicle_id": d["vehicle"], "expected_version": d["version"]}})
    run_phase("sign_carrier", "carrier", None, "sign_carrier")
    now = utcnow().isoformat()
    run_phase("weighing", "rec_org", lambda d: {"idempotency_key": f"bench-{tag}-weigh-{d['i']}", "op": "weighing", "number": d["number"],
                                                "data": {"instrument_id": world.scales[d["rec_org"]], "gross_kg": d["net"] + 11_000, "tare_kg": 11_000,
                                                         "weighed_at": now, "expected_version": d["version"]}})
    run_phase("receive", "rec_org", None, "receive")
    run_phase("acceptance", "rec_org", lambda d: {"idempotency_key": f"bench-{tag}-acc-{d['i']}", "op": "acceptance", "number": d["number"],
                                                  "data": {"accepted_kg": d["net"] - d["refused"], "refused_kg": d["refused"],
                                                           "refusal_reason": "Посторонние примеси" if d["refused"] else None, "expected_version": d["version"]}})
    run_phase("accept", "rec_org", None, "accept")
    return sum(phases.values()), phases


def without_verification():
    """signing.verify without the cryptography and the chain: the signer's certificate looked up
    only (once per batch, as signing.verify does)."""
    real = signing.verify

    def trusting(db, user, payload_bytes, sha256_hex, signature_b64, *, at=None):
        user_id = signing._user_id(user)
        row = signing._memo(("bench-certificate", user_id), lambda: db.scalar(
            select(UserCertificate).where(UserCertificate.user_id == user_id).order_by(UserCertificate.id.desc())))
        return signing.VerifiedSignature(row.user_id, row.id, row.fingerprint, row.algorithm, hashlib.sha256(payload_bytes).hexdigest(),
                                         base64.b64decode(signature_b64), signed_at=at or utcnow())

    signing.verify = trusting
    return lambda: setattr(signing, "verify", real)


RAW_TABLES = ("transfer_documents", "transfer_legs", "transfer_versions", "signing_signatures", "transfer_bulk_items")


def raw_insert(url: str, numbers: list[str]) -> dict[str, float]:
    """The same rows again (new ids and keys), in one transaction each way: plain executemany,
    then PostgreSQL's COPY, the fastest bulk load it has. Returns seconds by way."""
    eng = create_engine(url)
    md = MetaData()
    md.reflect(eng, only=RAW_TABLES)
    T = md.tables
    with eng.connect() as c:
        docs = [dict(r._mapping) for r in c.execute(select(T["transfer_documents"]).where(T["transfer_documents"].c.number.in_(numbers)))]
        ids = [d["id"] for d in docs]
        rows = {
            "transfer_documents": docs,
            "transfer_legs": [dict(r._mapping) for r in c.execute(select(T["transfer_legs"]).where(T["transfer_legs"].c.document_id.in_(ids)))],
            "transfer_versions": [dict(r._mapping) for r in c.execute(select(T["transfer_versions"]).where(T["transfer_versions"].c.document_id.in_(ids)))],
            "signing_signatures": [dict(r._mapping) for r in c.execute(select(T["signing_signatures"]).where(T["signing_signatures"].c.document_id.in_(numbers)))],
            "transfer_bulk_items": [dict(r._mapping) for r in c.execute(select(T["transfer_bulk_items"]).where(T["transfer_bulk_items"].c.number.in_(numbers)))],
        }

    def renamed(suffix: str) -> dict[str, list[dict]]:
        with eng.connect() as c:
            offset = 1 + max(c.scalar(text(f"SELECT max(id) FROM {t}")) for t in RAW_TABLES)
        out = {t: [dict(r, id=r["id"] + offset) for r in rs] for t, rs in rows.items()}
        for d in out["transfer_documents"]:
            d["number"], d["idempotency_key"] = d["number"] + suffix, None
        for r in out["transfer_legs"] + out["transfer_versions"]:
            r["document_id"] += offset
        for r in out["signing_signatures"]:
            r["document_id"] += suffix
        for r in out["transfer_bulk_items"]:
            r["idempotency_key"] += suffix
            r["number"] += suffix
        return out

    spent = {}
    batch = renamed("R")
    t0 = time.perf_counter()
    with eng.begin() as c:
        for name in RAW_TABLES:
            for k in range(0, len(batch[name]), 5000):
                c.execute(T[name].insert(), batch[name][k:k + 5000])
    spent["executemany"] = time.perf_counter() - t0
    batch = renamed("C")
    t0 = time.perf_counter()
    with eng.begin() as c:
        cur = c.connection.driver_connection.cursor()
        for name in RAW_TABLES:
            cols = [col.name for col in T[name].columns]
            json_cols = {col.name for col in T[name].columns if col.type.__class__.__name__ in ("JSON", "JSONB")}
            with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in batch[name]:
                    copy.write_row([json.dumps(r[k], ensure_ascii=False) if k in json_cols and r[k] is not None else r[k] for k in cols])
    spent["copy"] = time.perf_counter() - t0
    eng.dispose()
    return spent, {"documents": len(docs), **{k: len(v) for k, v in rows.items() if k != "transfer_documents"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--documents", type=int, default=2000, help="documents per run (each run: the full lifecycle)")
    ap.add_argument("--batch", type=int, default=1000, help="bulk items per request (at most 1,000)")
    ap.add_argument("--url", help="an existing database URL instead of a scratch PostgreSQL database")
    ap.add_argument("--profile", help="write a cProfile of the verified run to this file")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--key", choices=("rsa", "p256"), default="rsa", help="the signers' keys")
    args = ap.parse_args()
    url, name = (args.url, None) if args.url else scratch_pg("transfers")
    try:
        migrate.upgrade(url)
        database = Database(url)
        db = database.session(write=True)
        from qaldyq.core.audit import SYSTEM

        set_actor(db, SYSTEM)
        world = World(db, args.key)
        db.commit()
        db.close()
        rng = random.Random(args.seed)
        out = Table(title=f"Transfer documents, full signed lifecycle ({args.key}), {args.documents:,} documents per run")
        for col in ("path", "seconds", "documents/s", "bulk items/s"):
            out.add_column(col, justify="right" if col != "path" else "left")
        docs = plan(world, args.documents, rng)
        prof = cProfile.Profile() if args.profile else None
        if prof:
            prof.enable()
        secs, phases = lifecycle(database, world, docs, "v", args.batch)
        if prof:
            prof.disable()
            prof.dump_stats(args.profile)
        out.add_row("bulk, signatures verified", f"{secs:.1f}", f"{args.documents / secs:,.0f}", f"{8 * args.documents / secs:,.0f}")
        phase_line = ", ".join(f"{k} {v:.1f}s" for k, v in phases.items())
        docs2 = plan(world, args.documents, rng)
        restore = without_verification()
        try:
            secs2, phases2 = lifecycle(database, world, docs2, "n", args.batch)
        finally:
            restore()
        out.add_row("bulk, verification skipped", f"{secs2:.1f}", f"{args.documents / secs2:,.0f}", f"{8 * args.documents / secs2:,.0f}")
        raw, counts = raw_insert(url, [d["number"] for d in docs])
        out.add_row("raw executemany of the same rows", f"{raw['executemany']:.2f}", f"{args.documents / raw['executemany']:,.0f}", "—")
        out.add_row("raw COPY of the same rows", f"{raw['copy']:.2f}", f"{args.documents / raw['copy']:,.0f}", "—")
        console.print(out)
        console.print(f"verified run by phase: {phase_line}")
        console.print(f"unverified run by phase: {', '.join(f'{k} {v:.1f}s' for k, v in phases2.items())}")
        console.print(f"raw rows: {counts}")
        console.print(f"ratio raw / verified bulk: {secs / raw['executemany']:.0f}× (executemany), {secs / raw['copy']:.0f}× (COPY)")
        floor = seconds_per_document(args.key)
        console.print(f"Python work of a signed lifecycle without storage (bench/transfers_floor.py): {floor * 1e3:.2f} ms per document, "
                      f"at most {1 / floor:,.0f} documents/s on one core")
    finally:
        if name:
            drop_pg(name)


if __name__ == "__main__":
    main()
