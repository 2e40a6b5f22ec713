"""Crash consistency: a real `qaldyq serve` process takes concurrent writes (telemetry batches,
transfer document lifecycles, signed ledger events with idempotency keys), is killed with SIGKILL
in the middle and restarted on the same database. Then every acknowledged write must be there,
nothing may be half there (a transaction without its entries, a document whose versions do not
reach its state), the audit chain and the ledger must verify, and retrying every request with its
idempotency key must create nothing twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import func, select

from qaldyq.core import audit
from qaldyq.core.audit import SYSTEM, set_actor
from qaldyq.core.database import Database
from qaldyq.ledger.integrity import verify_ledger
from qaldyq.ledger.models import LedgerEntry, LedgerTransaction
from qaldyq.registry.models import Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.signing import service as signing
from qaldyq.telemetry.models import TelemetryPoint
from qaldyq.transfers.models import TransferDocument, TransferVersion
from tests.factories import make_org, make_site, make_user
from tests.signing.pki import make_ca, pem, sign_b64

pytestmark = [pytest.mark.crash, pytest.mark.xdist_group("crash")]

WASTE = "15 01 02"
LOAD_SECONDS = 2.5  # writes run this long before the kill
PLATE = "777CRH01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Party:
    headers: dict
    key: object
    cert_pem: str


@dataclass
class World:
    consignor: Party
    carrier: Party
    receiver: Party
    gen_site: int
    rec_site: int
    truck: int
    scale: int
    carrier_org: int


def _token(db, user) -> dict:
    from qaldyq.core import service as core_service

    _, secret = core_service.create_token(db, user, "crash", ["read", "write"], 1)
    return {"Authorization": f"Bearer {secret}"}


def _build_world(url: str) -> World:
    database = Database(url)
    ca = make_ca("Crash Test CA")
    with database.session(write=True) as db:
        set_actor(db, SYSTEM)
        signing.trust_add(db, ca.pem, "crash test")

        def party(roles, name) -> tuple[object, Party]:
            org = make_org(db, roles=roles, name=name)
            user = make_user(db, org, "org_user")
            cert, key = ca.issue(user.full_name)
            return org, Party(_token(db, user), key, pem(cert))

        gen_org, consignor = party(("waste_generator",), "ТОО Генератор")
        car_org, carrier = party(("carrier",), "ТОО Перевозчик")
        rec_org, receiver = party(("recycler",), "ТОО Переработчик")
        gen_site = make_site(db, gen_org, "generator", name="Площадка генератора")
        rec_site = make_site(db, rec_org, "recycling", name="Завод", lat=51.2, lon=71.5,
                             permitted_waste_codes=["15 01"], permitted_operations=["R3"])
        truck = Vehicle(plate=PLATE, organization_id=car_org.id, vehicle_type="garbage_truck", payload_kg=8000)
        today = date.today()
        scale = WeighingInstrument(site_id=rec_site.id, name="Автовесы", instrument_type="truck_scale", serial_number="SN-CR-1",
                                   year_made=2019, max_load_kg=60000)
        scale.certificates = [VerificationCertificate(number="ПС-CR-1", valid_from=today - timedelta(days=10), valid_to=today + timedelta(days=300))]
        db.add_all([truck, scale])
        db.flush()
        world = World(consignor, carrier, receiver, gen_site.id, rec_site.id, truck.id, scale.id, car_org.id)
        db.commit()
    database.dispose()
    return world


class Server:
    def __init__(self, url: str, folder):
        self.env = {**os.environ, "QALDYQ_DATABASE_URL": url, "QALDYQ_INSTANCE_DIR": str(folder / "instance")}
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "qaldyq.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError("server did not start: " + self.proc.stderr.read().decode()[-2000:])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@dataclass
class Log:
    """What the clients sent and what the server acknowledged."""

    ledger_sent: dict = field(default_factory=dict)  # key -> signed body
    ledger_acked: set = field(default_factory=set)
    points_sent: list = field(default_factory=list)  # batches
    points_acked: list = field(default_factory=list)  # batches acknowledged with 200
    docs_acked: dict = field(default_factory=dict)  # number -> (version, state) last acknowledged
    docs_keys: dict = field(default_factory=dict)  # idempotency key -> create body
    errors: list = field(default_factory=list)  # unexpected answers (not a dropped connection)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _ok(r: httpx.Response, log: Log, what: str) -> bool:
    if r.status_code in (200, 201):
        return True
    with log.lock:
        log.errors.append(f"{what}: {r.status_code} {r.text[:300]}")
    return False


def _ledger_writer(http: httpx.Client, w: World, log: Log, stop: threading.Event, tag: str) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        key = f"crash-{tag}-{i}"
        body = {"idempotency_key": key, "site_id": w.gen_site, "waste_code": WASTE, "mass_kg": 100 + i, "note": None}
        r = http.post("/api/v1/ledger/generation/signing-request", json=body, headers=w.consignor.headers)
        if not _ok(r, log, "ledger signing-request"):
            return
        data = r.json()
        signed = {**body, "signature": {"sha256": data["sha256"], "signature": sign_b64(w.consignor.key, data["payload"].encode())}}
        with log.lock:
            log.ledger_sent[key] = signed
        r = http.post("/api/v1/ledger/generation", json=signed, headers=w.consignor.headers)
        if _ok(r, log, "ledger generation"):
            with log.lock:
                log.ledger_acked.add(key)


def _telemetry_writer(http: httpx.Client, w: World, log: Log, stop: threading.Event, start: datetime) -> None:
    b = 0
    while not stop.is_set():
        # 20 points a batch, a second apart, a few metres apart (no GPS jumps), all distinct
        batch = [{"plate": PLATE, "time": (start + timedelta(seconds=b * 20 + j)).isoformat(), "lat": 51.13 + (b * 20 + j) * 1e-5,
                  "lon": 71.43, "speed": 20} for j in range(20)]
        b += 1
        with log.lock:
            log.points_sent.append(batch)
        r = http.post("/api/v1/telemetry/points", json=batch, headers=w.carrier.headers)
        if _ok(r, log, "telemetry"):
            with log.lock:
                log.points_acked.append((batch, r.json()))


def _sign(http: httpx.Client, p: Party, number: str, action: str) -> httpx.Response:
    r = http.get(f"/api/v1/transfers/{number}/signing-request", params={"action": action}, headers=p.headers)
    if r.status_code != 200:
        return r
    d = r.json()
    return http.post(f"/api/v1/transfers/{number}/signatures", json={"action": action, "sha256": d["sha256"],
                                                                    "signature": sign_b64(p.key, d["payload"].encode())}, headers=p.headers)


def _transfer_writer(http: httpx.Client, w: World, log: Log, stop: threading.Event, tag: str) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        key = f"crash-doc-{tag}-{i}"
        body = {"consignor_site_id": w.gen_site, "receiver_site_id": w.rec_site, "legs": [{"carrier_org_id": w.carrier_org}], "waste_code": WASTE,
                "description": "ПЭТ-бутылки", "physical_form": "solid", "containers": [{"type": "big_bag", "count": 2}],
                "declared_mass_kg": 1000, "mass_basis": "estimated", "planned_operation": "R3", "idempotency_key": key}
        with log.lock:
            log.docs_keys[key] = body
        r = http.post("/api/v1/transfers", json=body, headers=w.consignor.headers)
        if not _ok(r, log, "transfer create"):
            return
        doc = r.json()
        n = doc["number"]

        def acked(r):
            if _ok(r, log, f"transfer {n}"):
                with log.lock:
                    log.docs_acked[n] = (r.json()["version"], r.json()["state"])
                return r.json()
            return None

        acked(r)
        steps = [
            lambda v: _sign(http, w.consignor, n, "sign_consignor"),
            lambda v: http.put(f"/api/v1/transfers/{n}/vehicle", json={"vehicle_id": w.truck, "expected_version": v}, headers=w.carrier.headers),
            lambda v: _sign(http, w.carrier, n, "sign_carrier"),
            lambda v: http.put(f"/api/v1/transfers/{n}/weighing", json={"instrument_id": w.scale, "gross_kg": 13000, "tare_kg": 12010,
                                                                        "weighed_at": datetime.now(timezone.utc).isoformat(), "expected_version": v},
                               headers=w.receiver.headers),
            lambda v: _sign(http, w.receiver, n, "receive"),
            lambda v: http.put(f"/api/v1/transfers/{n}/acceptance", json={"accepted_kg": 990, "refused_kg": 0, "refusal_reason": None,
                                                                          "expected_version": v}, headers=w.receiver.headers),
            lambda v: _sign(http, w.receiver, n, "accept"),
        ]
        version = doc["version"]
        for step in steps:
            if stop.is_set():
                break
            out = acked(step(version))
            if out is None:
                return
            version = out["version"]


def _drive(server: Server, w: World, log: Log) -> None:
    """Writers in threads; SIGKILL after LOAD_SECONDS while they are still writing."""
    stop = threading.Event()
    start = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(microsecond=0)

    def run(target, *args):
        with httpx.Client(base_url=server.base, timeout=10) as http:
            try:
                target(http, w, log, stop, *args)
            except httpx.TransportError:  # the server died under us: expected
                pass

    threads = [threading.Thread(target=run, args=a) for a in [(_ledger_writer, "a"), (_ledger_writer, "b"), (_telemetry_writer, start),
                                                               (_transfer_writer, "a"), (_transfer_writer, "b")]]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    # On a busy machine a writer's first request (a telemetry batch loads its analysis modules)
    # can take longer than LOAD_SECONDS: kill only once every kind of write has been acknowledged.
    deadline = time.monotonic() + 30
    while not (log.ledger_acked and log.points_acked and log.docs_acked) and time.monotonic() < deadline and not log.errors:
        time.sleep(0.1)
    server.kill()
    stop.set()
    for t in threads:
        t.join(20)


def _check_database(url: str, w: World, log: Log) -> None:
    database = Database(url)
    with database.session() as db:
        # ledger: every acknowledged event is there, with balanced entries; nothing half there
        keys = set(db.scalars(select(LedgerTransaction.idempotency_key).where(LedgerTransaction.idempotency_key.like("crash-%"))))
        missing = log.ledger_acked - keys
        assert not missing, f"acknowledged ledger events lost: {sorted(missing)[:5]}"
        assert keys <= set(log.ledger_sent), "a ledger transaction nobody sent"
        orphans = db.scalar(select(func.count()).select_from(LedgerTransaction).where(
            ~select(LedgerEntry.id).where(LedgerEntry.transaction_id == LedgerTransaction.id).exists()))
        assert orphans == 0, "ledger transactions without entries"
        check = verify_ledger(db)
        assert check.ok, check.problems

        # telemetry: every point of every acknowledged batch is stored
        stored = {(t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t).astimezone(timezone.utc).replace(microsecond=0)
                  for t in db.scalars(select(TelemetryPoint.time).where(TelemetryPoint.vehicle_id == w.truck))}
        for batch, answer in log.points_acked:
            assert answer["accepted"] + answer["rejected_total"] == len(batch)
            for p in batch:
                assert datetime.fromisoformat(p["time"]) in stored, f"acknowledged point lost: {p}"

        # transfers: each acknowledged step survived; versions reach the state with no gap
        for number, (version, state) in log.docs_acked.items():
            doc = db.scalar(select(TransferDocument).where(TransferDocument.number == number))
            assert doc is not None, f"acknowledged document {number} lost"
            assert doc.version >= version, f"{number}: acknowledged version {version}, stored {doc.version}"
            if doc.version == version:
                assert doc.state == state
        for doc in db.scalars(select(TransferDocument).where(TransferDocument.idempotency_key.like("crash-doc-%"))):
            versions = db.scalars(select(TransferVersion).where(TransferVersion.document_id == doc.id).order_by(TransferVersion.version)).all()
            assert [v.version for v in versions] == list(range(1, doc.version + 1)), f"{doc.number}: versions {[v.version for v in versions]}"
            assert versions[-1].snapshot["state"] == doc.state, f"{doc.number}: last version says {versions[-1].snapshot['state']}, row says {doc.state}"

        result = audit.verify(db)
        assert result.ok, (result.broken_seq, result.reason)
    database.dispose()


def _counts(url: str) -> dict:
    database = Database(url)
    with database.session() as db:
        out = {
            "ledger": db.scalar(select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.idempotency_key.like("crash-%"))),
            "all_ledger": db.scalar(select(func.count()).select_from(LedgerTransaction)),
            "entries": db.scalar(select(func.count()).select_from(LedgerEntry)),
            "points": db.scalar(select(func.count()).select_from(TelemetryPoint)),
            "docs": db.scalar(select(func.count()).select_from(TransferDocument)),
        }
    database.dispose()
    return out


def _retry_everything(server: Server, w: World, log: Log) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as http:
        for key, body in log.ledger_sent.items():
            r = http.post("/api/v1/ledger/generation", json=body, headers=w.consignor.headers)
            assert r.status_code in (200, 201), r.text
            if key in log.ledger_acked:
                assert r.status_code == 200, f"{key} was acknowledged, its retry must be a replay: {r.status_code}"
        for batch in log.points_sent:
            r = http.post("/api/v1/telemetry/points", json=batch, headers=w.carrier.headers)
            assert r.status_code == 200, r.text
        for key, body in log.docs_keys.items():
            r = http.post("/api/v1/transfers", json=body, headers=w.consignor.headers)
            assert r.status_code in (200, 201), r.text


def test_sigkill_in_the_middle_of_writes_loses_nothing_acknowledged(fresh_url, tmp_path):
    w = _build_world(fresh_url)
    server = Server(fresh_url, tmp_path)
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=10) as http:
            for p in (w.consignor, w.carrier, w.receiver):
                r = http.post("/api/v1/me/certificates", json={"certificate": p.cert_pem}, headers=p.headers)
                assert r.status_code == 201, r.text
        log = Log()
        _drive(server, w, log)
        assert not log.errors, log.errors[:5]
        # the kill landed while work was going on, and work had been acknowledged before it
        assert log.ledger_acked and log.points_acked and log.docs_acked
        in_flight = (len(log.ledger_sent) - len(log.ledger_acked)) + (len(log.points_sent) - len(log.points_acked))
        assert in_flight > 0, "the kill landed between requests: nothing was in flight"
        server.start()  # same database, after an unclean stop
        _check_database(fresh_url, w, log)

        # retries with the same keys create nothing twice; a second round changes nothing at all
        _retry_everything(server, w, log)
        after_first = _counts(fresh_url)
        assert after_first["ledger"] == len(log.ledger_sent)
        assert after_first["points"] == sum(len(b) for b in log.points_sent)
        assert after_first["docs"] == len(log.docs_keys)
        _retry_everything(server, w, log)
        assert _counts(fresh_url) == after_first
        _check_database(fresh_url, w, log)
    finally:
        server.stop()
