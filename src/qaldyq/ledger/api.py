"""The ledger API: balances, movements, mass balance, transactions and their chain of custody;
signed generation, processing, disposal and export events; verification."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import forbidden
from qaldyq.ledger import chain as chain_mod
from qaldyq.ledger import events, reports
from qaldyq.ledger.integrity import verify_ledger
from qaldyq.ledger.schemas import (
    BalanceOut, ChainNodeOut, ChainOut, ChainTxOut, DisposalIn, DisposalSigned, ExportIn, ExportSigned, GenerationIn, GenerationSigned,
    LedgerCheckOut, MassBalanceOut, MassBalanceRowOut, MovementOut, MovementsOut, ProcessingIn, ProcessingSigned, ProductOut, ReversalIn,
    ReversalSigned, SigningRequestOut, SiteBalancesOut, TransactionOut,
)
from qaldyq.ledger.sites import can_read, site_info, site_infos
from qaldyq.ledger.xlsx import mass_balance_xlsx
from qaldyq.signing.crypto import sha256_hex
from qaldyq.signing.schemas import StoredSignatureOut

router = APIRouter(prefix="/ledger", tags=["ledger"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable_site(db: Session, principal: Principal, site_id: int):
    info = site_info(db, site_id)
    if not can_read(principal, info):
        raise forbidden("This site belongs to another organization.")
    return info


def readable_transaction(db: Session, principal: Principal, transaction_id: int) -> reports.TransactionDetail:
    detail = reports.transaction_detail(db, transaction_id)
    infos = site_infos(db, detail.site_ids)
    if not any(can_read(principal, i) for i in infos.values()):
        raise forbidden("This transaction concerns other organizations' sites.")
    return detail


def transaction_out(db: Session, detail: reports.TransactionDetail) -> TransactionOut:
    sigs = [StoredSignatureOut.model_validate(s) for s in events.signatures(db, detail.id)]
    return TransactionOut(**{k: getattr(detail, k) for k in (
        "id", "kind", "site_id", "counterparty_site_id", "waste_code", "mass_kg", "operation", "country", "effective_at", "recorded_at",
        "idempotency_key", "settles_id", "reverses_id", "reversed_by_id", "note")}, reference=detail.reference,
        entries=[vars(e) for e in detail.entries], signatures=sigs)


@router.get("/sites/{site_id}/balances", response_model=SiteBalancesOut)
def balances(site_id: int = Path(ge=1), at: date | None = Query(default=None, description="end of this local date; default: now"),
             waste_code: str | None = Query(default=None, max_length=32),
             principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """What the site holds per waste code, now or at the end of a date (Asia/Almaty)."""
    readable_site(db, principal, site_id)
    rows = reports.balances(db, site_id, at, waste_code)
    return SiteBalancesOut(site_id=site_id, at=at, balances=[BalanceOut(waste_code=b.waste_code, balance_kg=b.balance_kg) for b in rows])


@router.get("/sites/{site_id}/movements", response_model=MovementsOut)
def movements(site_id: int = Path(ge=1), date_from: date | None = Query(default=None), date_to: date | None = Query(default=None),
              waste_code: str | None = Query(default=None, max_length=32), limit: int = Query(default=100, ge=1, le=1000), offset: int = Query(default=0, ge=0),
              principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """The movement history of a site, newest first."""
    readable_site(db, principal, site_id)
    if date_from and date_to:
        reports.check_period(date_from, date_to)
    items, total = reports.movements(db, site_id, date_from, date_to, waste_code, limit, offset)
    return MovementsOut(site_id=site_id, total=total, items=[MovementOut(
        **{k: getattr(m, k) for k in ("entry_id", "transaction_id", "kind", "line", "waste_code", "amount_kg", "effective_at", "counterparty_site_id",
                                      "counterparty_site_name", "operation", "reversed", "reverses_id")},
        reference={"type": m.ref_type, "id": m.ref_id} if m.ref_type else None) for m in items])


def _row_out(r: reports.MassBalanceRow) -> MassBalanceRowOut:
    return MassBalanceRowOut(waste_code=r.waste_code, **{f"{c}_kg": getattr(r, c) for c in (
        "opening", "generated", "received", "returned", "produced", "processed", "sent", "disposed", "exported", "loss", "closing")})


@router.get("/sites/{site_id}/mass-balance", response_model=MassBalanceOut)
def mass_balance(site_id: int = Path(ge=1), date_from: date = Query(), date_to: date = Query(),
                 principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """The mass balance of the site for a period per waste code (Order 690 Appendix 1 Sections A-B)."""
    readable_site(db, principal, site_id)
    mb = reports.mass_balance(db, site_id, date_from, date_to)
    return MassBalanceOut(site_id=mb.site_id, site_name=mb.site_name, organization_name=mb.organization_name, organization_bin=mb.organization_bin,
                          date_from=mb.date_from, date_to=mb.date_to, rows=[_row_out(r) for r in mb.rows], total=_row_out(mb.total),
                          products=[ProductOut(product=p, mass_kg=kg) for p, kg in mb.products])


@router.get("/sites/{site_id}/mass-balance.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def mass_balance_file(site_id: int = Path(ge=1), date_from: date = Query(), date_to: date = Query(), lang: str | None = Query(default=None, pattern="^(kk|ru|en)$"),
                      principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """The same report as a spreadsheet (tonnes with three decimals)."""
    readable_site(db, principal, site_id)
    mb = reports.mass_balance(db, site_id, date_from, date_to)
    data = mass_balance_xlsx(mb, lang or "ru")
    name = f"mass-balance-site{site_id}-{date_from}-{date_to}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/transactions", response_model=list[TransactionOut])
def by_reference(ref_type: str = Query(min_length=1, max_length=32), ref_id: str = Query(min_length=1, max_length=64),
                 principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """The transactions recorded for a document (e.g. ref_type=transfer&ref_id=TD-2026-000123)."""
    out = []
    for detail in reports.transactions_by_reference(db, ref_type, ref_id):
        if any(can_read(principal, i) for i in site_infos(db, detail.site_ids).values()):
            out.append(transaction_out(db, detail))
    return out


@router.get("/transactions/{transaction_id}", response_model=TransactionOut)
def transaction(transaction_id: int = Path(ge=1), principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    return transaction_out(db, readable_transaction(db, principal, transaction_id))


def _tx_out(t: chain_mod.TxSummary) -> ChainTxOut:
    return ChainTxOut(id=t.id, kind=t.kind, site_id=t.site_id, site_name=t.site_name, counterparty_site_id=t.counterparty_site_id,
                      counterparty_site_name=t.counterparty_site_name, waste_code=t.waste_code, mass_kg=t.mass_kg, effective_at=t.effective_at,
                      reference={"type": t.ref_type, "id": t.ref_id} if t.ref_type else None, operation=t.operation, country=t.country, reversed=t.reversed)


def _node_out(n: chain_mod.ChainNode) -> ChainNodeOut:
    return ChainNodeOut(kg=n.kg_rounded, waste_code=n.waste_code, transaction=_tx_out(n.transaction) if n.transaction else None, end=n.end,
                        end_detail=n.end_detail, children=[_node_out(c) for c in n.children])


@router.get("/transactions/{transaction_id}/chain", response_model=ChainOut)
def chain(transaction_id: int = Path(ge=1), principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    """The chain of custody of the transaction's mass: sources back to generation, destinations on
    to the final operations (first-in, first-out attribution)."""
    readable_transaction(db, principal, transaction_id)
    c = chain_mod.chain_of_custody(db, transaction_id)
    return ChainOut(root=_tx_out(c.root), sources=[_node_out(n) for n in c.sources], destinations=[_node_out(n) for n in c.destinations], truncated=c.truncated)


@router.get("/verify", response_model=LedgerCheckOut)
def verify(principal: Principal = Depends(require("ledger.verify")), db: Session = Depends(get_db)):
    """Check the ledger's invariants (balanced transactions, balances, reversals, audit)."""
    r = verify_ledger(db)
    return LedgerCheckOut(ok=r.ok, transactions=r.transactions, entries=r.entries, accounts=r.accounts, problems=r.problems)


# ---------------------------------------------------------------- signed events


def _request(kind: str, body, principal: Principal, db: Session) -> SigningRequestOut:
    events.authorize_site(db, principal, body.site_id)
    data = events.payload(kind, body)
    return SigningRequestOut(payload=data.decode(), sha256=sha256_hex(data))


def _record(kind: str, body, principal: Principal, db: Session):
    rec = events.record(db, principal, kind, body, body.signature.sha256, body.signature.signature)
    db.commit()
    out = transaction_out(db, reports.transaction_detail(db, rec.posting.transaction_id))
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if rec.posting.created else 200)


_RESPONSES = {200: {"model": TransactionOut, "description": "replay of an event already recorded with this idempotency key"}}


@router.post("/generation/signing-request", response_model=SigningRequestOut)
def generation_request(body: GenerationIn, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """The canonical JSON to sign for a generation event, and its SHA-256."""
    return _request("generation", body, principal, db)


@router.post("/generation", response_model=TransactionOut, status_code=201, responses=_RESPONSES)
def generation(body: GenerationSigned, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Record waste generated at the caller's site, signed."""
    return _record("generation", body, principal, db)


@router.post("/processing/signing-request", response_model=SigningRequestOut)
def processing_request(body: ProcessingIn, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    return _request("processing", body, principal, db)


@router.post("/processing", response_model=TransactionOut, status_code=201, responses=_RESPONSES)
def processing(body: ProcessingSigned, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Record processing at the caller's site: inputs consumed, outputs, residues, declared loss."""
    return _record("processing", body, principal, db)


@router.post("/disposal/signing-request", response_model=SigningRequestOut)
def disposal_request(body: DisposalIn, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    return _request("disposal", body, principal, db)


@router.post("/disposal", response_model=TransactionOut, status_code=201, responses=_RESPONSES)
def disposal(body: DisposalSigned, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Record disposal at the caller's site (landfill, D-codes)."""
    return _record("disposal", body, principal, db)


@router.post("/export/signing-request", response_model=SigningRequestOut)
def export_request(body: ExportIn, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    return _request("export", body, principal, db)


@router.post("/export", response_model=TransactionOut, status_code=201, responses=_RESPONSES)
def export(body: ExportSigned, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Record waste exported from the caller's site."""
    return _record("export", body, principal, db)


@router.post("/transactions/{transaction_id}/reversal/signing-request", response_model=SigningRequestOut)
def reversal_request(body: ReversalIn, transaction_id: int = Path(ge=1), principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    events.authorize_reversal(db, principal, transaction_id)
    data = events.reversal_payload(transaction_id, body)
    return SigningRequestOut(payload=data.decode(), sha256=sha256_hex(data))


@router.post("/transactions/{transaction_id}/reversal", response_model=TransactionOut, status_code=201, responses=_RESPONSES)
def reversal(body: ReversalSigned, transaction_id: int = Path(ge=1), principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Correct a generation, processing, disposal or export of the caller's site by reversal."""
    rec = events.reverse(db, principal, transaction_id, body, body.signature.sha256, body.signature.signature)
    db.commit()
    out = transaction_out(db, reports.transaction_detail(db, rec.posting.transaction_id))
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if rec.posting.created else 200)
