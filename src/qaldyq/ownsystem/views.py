"""Pages of the own-system confirmation: each actor's queue with its SLA (applicant: its own
applications; authorized body and operator: what waits for them); a new application prefilled
from Qaldyq's data and the Appendix 1 form the applicant corrects; the application page with the
deadlines, the documents (upload, records attached by reference, the operator's marks), the state
revenue bodies' answer, the review, the history and the actions the viewer may take; the review
rules the authorized body edits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qaldyq.catalog.service import today_almaty
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import FieldError, Problem, invalid, pydantic_field_errors, request_locale
from qaldyq.core.i18n import N_, Translator, translate
from qaldyq.ownsystem import customs, deadlines as dl, documents, review, service, sla
from qaldyq.ownsystem.checklist import BY_CODE, ITEMS, MAX_FILE_BYTES
from qaldyq.ownsystem.models import OwnApplication
from qaldyq.ownsystem.schemas import ApplicationIn, EventIn
from qaldyq.ownsystem.workflow import ACTOR_LABELS, EVENT_LABELS, STATUS_LABELS, Actor, Status
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Own-system EPR"), "/ownsystem", "ownsystem.read", order=40)]
ALMATY = ZoneInfo("Asia/Almaty")


def local_dt(at: datetime) -> str:
    return at.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


BADGE = {"met": "ok", "late": "warn", "overdue": "bad", "open": "", "pending": ""}
COLUMN_LABELS = {
    "waste_name": N_("Name of waste"), "opening_t": N_("Balance at the beginning of the half-year, t"),
    "collected_t": N_("Collected in the half-year, t"), "closing_t": N_("Balance at the end of the half-year, t"),
    "recycled_t": N_("Recycled, t"), "product_name": N_("Finished product"), "product_t": N_("Finished product, t"),
    "sold_rk_t": N_("Sold in Kazakhstan, t"), "export_t": N_("Export, t"), "produced_t": N_("Produced, t"), "imported_t": N_("Imported, t"),
    "product_group": N_("EPR product group"), "placed_t": N_("Sold from produced / imported, t"),
}
STATE_LABELS = {"met": N_("Met"), "late": N_("Met late"), "overdue": N_("Overdue"), "open": N_("Open"), "pending": N_("Not started")}
KIND_LABELS = {"producer": N_("Producer"), "importer": N_("Importer"), "both": N_("Producer and importer")}
ROUTE_LABELS = {"operator": N_("Operator route"), "own_system": N_("Own system"), None: N_("No route registered")}
SOURCE_LABELS = {"customs": N_("Customs data in Qaldyq"), "srb": N_("Answer of the state revenue bodies")}
META_LABELS = {
    "date": N_("Date"), "number": N_("Number"), "mass_t": N_("Mass, t"), "counterparty": N_("Counterparty"),
    "instrument_name": N_("Name of the instrument"), "instrument_type": N_("Type of the instrument"), "serial_number": N_("Serial number"),
    "year_made": N_("Year of manufacture"), "instrument_id": N_("Weighing instrument"), "signatory": N_("Signed by"),
}
SIGNATORIES = {"first_head": N_("First head"), "authorized_person": N_("Authorized person"), "substitute": N_("Substitute")}
DONE = {
    "created": N_("The application is created and filled from Qaldyq's data. Check and correct it."),
    "saved": N_("Appendix 1 is saved."), "refilled": N_("Sections A–C are filled again from Qaldyq's data."),
    "document": N_("The document is attached."), "marked": N_("The marks are saved."), "srb": N_("The answer of the state revenue bodies is recorded."),
    "rule": N_("The rule is saved."),
}
# Appendix 1 sections as form columns (in the order of the form); the rest are tonnes.
SECTIONS = {
    "a": ("waste_name", "opening_t", "collected_t", "closing_t", "waste_code"),
    "b": ("waste_name", "recycled_t", "product_name", "product_t", "sold_rk_t", "export_t", "waste_code"),
    "c": ("product_name", "product_group", "produced_t", "imported_t"),
}
TEXT_COLUMNS = {"waste_name", "product_name", "waste_code", "product_group"}
BLANK_ROWS = 2
MAX_ROWS = 500


def my_actor(principal: Principal) -> Actor:
    return {"authority": Actor.AUTHORITY, "operator": Actor.OPERATOR}.get(principal.role.value, Actor.APPLICANT)


def _errors(exc: Problem, locale: str) -> list[str]:
    """The problem's messages, each prefixed with the place in the form it names."""
    t = Translator(locale)
    out = []
    for e in exc.errors or [FieldError(exc.detail or exc.title, params=exc.params)]:
        where = _where(e.pointer or "", t)
        msg = translate(locale, e.msgid, **e.params)
        out.append(f"{where}: {msg}" if where else msg)
    return out


def _where(pointer: str, t: Translator) -> str:
    parts = pointer.strip("/").split("/")
    if len(parts) >= 3 and parts[0] in ("section_a", "section_b", "section_c") and parts[1].isdigit():
        return t(N_("Section {section}, row {row}, {column}"), section=parts[0][-1].upper(), row=int(parts[1]) + 1,
                 column=t(COLUMN_LABELS.get(parts[2], parts[2])))
    if len(parts) == 2 and parts[0] == "section_d":
        return f"D, {t(COLUMN_LABELS.get(parts[1], parts[1]))}"
    if len(parts) == 2 and parts[0] in ("meta", "params"):
        return t(META_LABELS.get(parts[1], review.PARAMS.get(parts[1], (parts[1],))[0]))
    return ""


# --- queue -----------------------------------------------------------------------------------

@router.get("/ownsystem")
def queue(request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    today = today_almaty()
    t = Translator(request_locale(request))
    apps = service.list_applications(db, principal)
    rows = [{"app": a, "allowed": service.allowed_events(db, a, principal, today)} for a in apps]
    actor = my_actor(principal)
    board = sla.board(db, principal, today)
    return render(request, "ownsystem/queue.html", {
        "to_act": [r for r in rows if r["allowed"]], "rows": rows, "board": board["actors"][actor.value], "week": board,
        "actor_label": t(ACTOR_LABELS[actor]), "status_labels": STATUS_LABELS, "today": today, "event_labels": EVENT_LABELS,
        "can_apply": principal.can("ownsystem.apply"), "can_decide": principal.can("ownsystem.decide"),
    })


# --- a new application and the Appendix 1 form -------------------------------------------------

def _open_periods(db: Session, principal: Principal, today: date) -> list[tuple[int, int]]:
    """Half-years an organization may still apply for: the current one and the five before it,
    without an application yet and not on the operator route."""
    year, half = today.year, 1 if today.month <= 6 else 2
    taken = {(a.year, a.half) for a in service.list_applications(db, principal) if a.organization_id == principal.org_id}
    out = []
    for _ in range(6):
        if year >= 2022 and (year, half) not in taken and not service.on_operator_route(db, principal.org_id, year, half):
            out.append((year, half))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return out


def _new_page(request: Request, db: Session, principal: Principal, errors: list[str] | None = None, form: dict | None = None):
    today = today_almaty()
    periods = [{"value": f"{y}-{h}", "year": y, "half": h, "due": dl.period_deadlines(db, y, h)["application_due"],
                "ended": dl.half_bounds(y, h)[1] < today} for y, h in _open_periods(db, principal, today)]
    return render(request, "ownsystem/new.html", {"periods": periods, "errors": errors or [], "form": form or {}, "kind_labels": KIND_LABELS},
                  status_code=422 if errors else 200)


@router.get("/ownsystem/new")
def new_form(request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    return _new_page(request, db, principal)


@router.post("/ownsystem/new")
async def new_submit(request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    form = await request.form()
    locale = request_locale(request)
    period = str(form.get("period") or "")
    try:
        year, half = (int(x) for x in period.split("-", 1))
    except ValueError:
        return _new_page(request, db, principal, [translate(locale, "Choose the reporting half-year.")], dict(form))
    try:
        data = ApplicationIn(year=year, half=half, applicant_kind=str(form.get("applicant_kind") or ""), section_d={"placed_t": "0", "recycled_t": "0"},
                             prefill=True, collection_on_site=bool(form.get("collection_on_site")), standards_apply=bool(form.get("standards_apply")),
                             other_operations=bool(form.get("other_operations")))
        app = service.create_application(db, principal, data)
        db.commit()
    except ValidationError as exc:
        return _new_page(request, db, principal, _errors(_validation(exc), locale), dict(form))
    except Problem as exc:
        db.rollback()
        return _new_page(request, db, principal, _errors(exc, locale), dict(form))
    return RedirectResponse(f"/ownsystem/applications/{app.id}/edit?done=created", status_code=303)


def _validation(exc: ValidationError) -> Problem:
    errors = pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
    return Problem(422, "validation", "The request is not valid.", errors[0].msgid if errors else None, errors)


def _rows_of(a: dict) -> dict[str, list[dict]]:
    """The form rows of an application as presented (strings), with blank rows to add lines."""
    rows = {}
    for sec in SECTIONS:
        rows[sec] = [{c: ("" if line.get(c) is None else str(line.get(c))) for c in SECTIONS[sec]} for line in a[f"section_{sec}"]]
        rows[sec] += [{c: "" for c in SECTIONS[sec]} for _ in range(BLANK_ROWS)]
    return rows


def _form_rows(form) -> tuple[dict[str, list[dict]], dict[str, list[dict]], dict[str, list[int]]]:
    """(rows as typed, with the blank ones; the lines to validate; form row of each line)."""
    typed, lines, where = {}, {}, {}
    for sec, cols in SECTIONS.items():
        try:
            n = min(int(str(form.get(f"{sec}_rows") or "0")), MAX_ROWS)
        except ValueError:
            n = 0
        typed[sec], lines[sec], where[sec] = [], [], []
        for i in range(n):
            row = {c: str(form.get(f"{sec}-{i}-{c}") or "").strip() for c in cols}
            typed[sec].append(row)
            if not any(row[c] for c in cols if c != "waste_code"):
                continue  # a blank row: nothing to add
            # an empty mass is zero, as on the paper form; a name is required
            lines[sec].append({c: (row[c] or None) if c in TEXT_COLUMNS else (row[c].replace(",", ".").replace(" ", "") or "0") for c in cols})
            where[sec].append(i)
    return typed, lines, where


def _sum_t(lines: list[dict], col: str) -> Decimal:
    try:
        return sum((Decimal(x[col].replace(",", ".")) for x in lines), Decimal("0")).quantize(Decimal("0.001"))
    except Exception:  # a bad number: the validation names it
        return Decimal("0")


def _edit_page(request: Request, db: Session, principal: Principal, app: OwnApplication, rows: dict | None = None, errors: list[str] | None = None,
               bad: set[str] | None = None, flags: dict | None = None, flash: str | None = None):
    locale = request_locale(request)
    a = service.present(db, app, principal, lambda s: translate(locale, s))
    end = dl.half_bounds(app.year, app.half)[1]
    from qaldyq.epr import service as epr

    names = service.group_names(db, end)
    groups = [(g, names.get(g, g)) for g in sorted(epr.product_groups(db, end))]
    ledger_a, ledger_b = service.ledger_lines(db, app.organization_id, app.year, app.half)
    # Section D shown empty where it is the value the form computes (B's total; an importer's C imports)
    recycled_b = sum((ln.m1 or 0 for ln in app.lines if ln.section == "B"), Decimal("0"))
    imported_c = sum((ln.m2 or 0 for ln in app.lines if ln.section == "C"), Decimal("0"))
    auto_placed = app.applicant_kind == "importer" and app.d_placed_t == imported_c
    return render(request, "ownsystem/edit.html", {
        "a": a, "rows": rows or _rows_of(a), "errors": errors or [], "bad": bad or set(), "groups": groups, "kind_labels": KIND_LABELS,
        "flags": flags or {"applicant_kind": app.applicant_kind, "collection_on_site": app.collection_on_site, "standards_apply": app.standards_apply,
                           "other_operations": app.other_operations, "placed_t": "" if auto_placed else str(app.d_placed_t),
                           "recycled_t": "" if app.d_recycled_t == recycled_b else str(app.d_recycled_t)},
        "ledger_a": ledger_a, "ledger_b": ledger_b, "sources": service.section_c_sources(db, app.organization_id, app.year, app.half),
        "route_labels": ROUTE_LABELS, "column_labels": COLUMN_LABELS, "sections": SECTIONS, "flash": flash,
    }, status_code=422 if errors else 200)


def _draft_of_applicant(db: Session, principal: Principal, app_id: int) -> OwnApplication:
    app = service.get_application(db, principal, app_id)
    if not principal.sees_org("ownsystem.apply", app.organization_id):
        raise Problem(403, "forbidden", "Forbidden.", N_("You are not allowed to do this."))
    return app


@router.get("/ownsystem/applications/{app_id}/edit")
def edit_form(app_id: int, request: Request, done: str | None = None, db: Session = Depends(get_db),
              principal: Principal = Depends(require("ownsystem.apply"))):
    app = _draft_of_applicant(db, principal, app_id)
    if app.status != Status.DRAFT:
        return RedirectResponse(f"/ownsystem/applications/{app.id}", status_code=303)
    flash = translate(request_locale(request), DONE[done]) if done in DONE else None
    return _edit_page(request, db, principal, app, flash=flash)


@router.post("/ownsystem/applications/{app_id}/edit")
async def edit_submit(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    form = await request.form()
    locale = request_locale(request)
    app = _draft_of_applicant(db, principal, app_id)
    typed, lines, where = _form_rows(form)
    placed = str(form.get("placed_t") or "").strip()
    recycled = str(form.get("recycled_t") or "").strip()
    kind = str(form.get("applicant_kind") or "")
    flags = {"applicant_kind": kind, "collection_on_site": bool(form.get("collection_on_site")), "standards_apply": bool(form.get("standards_apply")),
             "other_operations": bool(form.get("other_operations")), "placed_t": placed, "recycled_t": recycled}
    # Section D left empty follows the sections it repeats: recycled = B; an importer's placed = C imports
    if not recycled:
        recycled = str(_sum_t(lines["b"], "recycled_t"))
    if not placed:
        placed = str(_sum_t(lines["c"], "imported_t")) if kind == "importer" else "0"
    try:
        try:
            data = ApplicationIn(year=app.year, half=app.half, applicant_kind=kind, section_a=lines["a"], section_b=lines["b"], section_c=lines["c"],
                                 section_d={"placed_t": placed.replace(",", "."), "recycled_t": recycled.replace(",", ".")},
                                 collection_on_site=flags["collection_on_site"], standards_apply=flags["standards_apply"],
                                 other_operations=flags["other_operations"])
        except ValidationError as exc:
            raise _validation(exc) from None
        service.update_application(db, principal, app, data)
        db.commit()
    except Problem as exc:
        db.rollback()
        bad = set()
        for e in exc.errors:
            parts = (e.pointer or "").strip("/").split("/")
            if len(parts) >= 3 and parts[0] in ("section_a", "section_b", "section_c") and parts[1].isdigit():
                sec = parts[0][-1]
                i = int(parts[1])
                if i < len(where[sec]):
                    bad.add(f"{sec}-{where[sec][i]}-{parts[2]}")
            elif len(parts) == 2 and parts[0] == "section_d":
                bad.add(parts[1])
        # the row numbers of the messages are those of the form
        msgs = _errors(_renumber(exc, where), locale)
        return _edit_page(request, db, principal, db.get(OwnApplication, app_id), rows=typed, errors=msgs, bad=bad, flags=flags)
    return RedirectResponse(f"/ownsystem/applications/{app_id}/edit?done=saved", status_code=303)


def _renumber(exc: Problem, where: dict[str, list[int]]) -> Problem:
    for e in exc.errors:
        parts = (e.pointer or "").strip("/").split("/")
        if len(parts) >= 3 and parts[0] in ("section_a", "section_b", "section_c") and parts[1].isdigit():
            rows = where[parts[0][-1]]
            i = int(parts[1])
            if i < len(rows):
                e.pointer = "/" + "/".join([parts[0], str(rows[i]), *parts[2:]])
    return exc


@router.post("/ownsystem/applications/{app_id}/refill")
def refill(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    app = _draft_of_applicant(db, principal, app_id)
    try:
        service.refill(db, principal, app)
        db.commit()
    except Problem as exc:
        db.rollback()
        return _edit_page(request, db, principal, db.get(OwnApplication, app_id), errors=_errors(exc, request_locale(request)))
    return RedirectResponse(f"/ownsystem/applications/{app_id}/edit?done=refilled", status_code=303)


# --- the application page ----------------------------------------------------------------------

def _detail(request: Request, db: Session, principal: Principal, app_id: int, error: str | list[str] | None = None, flash: str | None = None):
    app = service.get_application(db, principal, app_id)
    locale = request_locale(request)
    data = service.present(db, app, principal, lambda s: translate(locale, s))
    today = today_almaty()
    applicant_writes = principal.sees_org("ownsystem.apply", app.organization_id) and app.status in documents.OPEN_FOR_APPLICANT
    reviewer = principal.can("ownsystem.review") or principal.can("ownsystem.decide")
    results = None
    if reviewer:
        results = review.evaluate(db, app)
        db.commit()  # the default rules are stored on first use
    choices = _reference_choices(db, principal, app) if applicant_writes else {"transfer": [], "instrument": []}
    return render(request, "ownsystem/detail.html", {
        "a": data, "checklist": documents.checklist(app), "event_labels": EVENT_LABELS, "badge": BADGE,
        "errors": [error] if isinstance(error, str) else (error or []), "flash": flash,
        "actor_labels": ACTOR_LABELS, "today": today, "state_labels": STATE_LABELS, "local_dt": local_dt, "column_labels": COLUMN_LABELS,
        "applicant_writes": applicant_writes, "is_draft_owner": applicant_writes and app.status == Status.DRAFT,
        "operator_marks": principal.can("ownsystem.review") and app.status in documents.OPERATOR_STATES,
        "srb_form": "srb_answer" in data["allowed_events"], "results": results, "suggested": review.suggested_conclusion(results) if results else None,
        "missing": documents.missing(app), "choices": choices, "items": {i.code: i for i in ITEMS}, "meta_labels": META_LABELS,
        "signatories": SIGNATORIES, "max_mb": MAX_FILE_BYTES // (1024 * 1024), "source_labels": SOURCE_LABELS, "kind_labels": KIND_LABELS,
    }, status_code=422 if error else 200)


def _reference_choices(db: Session, principal: Principal, app: OwnApplication) -> dict[str, list[tuple[str, str]]]:
    """Records already in Qaldyq the applicant may attach instead of uploading: its transfer
    documents (newest first) and the weighing instruments at its sites."""
    from qaldyq.registry import service as registry
    from qaldyq.transfers import service as transfers

    _, docs = transfers.list_documents(db, principal, limit=100)
    inst = registry.list_instruments(db, principal, registry.InstrumentFilters(organization_id=app.organization_id), per_page=100).items
    return {"transfer": [(d.number, f"{d.number} · {d.waste_code} · {d.state}") for d in docs],
            "instrument": [(str(i.id), f"{i.name} · {i.serial_number}") for i in inst]}


@router.get("/ownsystem/applications/{app_id}")
def detail(app_id: int, request: Request, done: str | None = None, db: Session = Depends(get_db),
           principal: Principal = Depends(require("ownsystem.read"))):
    flash = translate(request_locale(request), DONE[done]) if done in DONE else None
    return _detail(request, db, principal, app_id, flash=flash)


@router.post("/ownsystem/applications/{app_id}/act")
def act(app_id: int, request: Request, event: str = Form(..., max_length=32), day: str = Form("", max_length=10),
        incoming_number: str = Form("", max_length=40), reasons: str = Form("", max_length=8000), conclusion: str = Form("", max_length=12),
        missing: list[str] = Form([]), db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    locale = request_locale(request)
    try:
        when = date.fromisoformat(day) if day else None
        inp = EventIn(event=event, day=when, incoming_number=incoming_number or None, reasons=reasons or None,
                      conclusion=conclusion or None, missing=[m[:4] for m in missing[:50]] if event == "request_missing" and missing else None)
        app = service.get_application(db, principal, app_id)
        if service.run_automatic(db, app):
            db.commit()
        service.fire(db, app, principal, inp)
        db.commit()
    except Problem as p:
        db.rollback()
        return _detail(request, db, principal, app_id, error=_errors(p, locale))
    except ValueError:
        db.rollback()
        return _detail(request, db, principal, app_id, error=translate(locale, "Must be a date (YYYY-MM-DD)."))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done={event}", status_code=303)


def _meta_from(form, item_code: str) -> dict:
    """The typed metadata fields of a checklist item from a form (`meta_<name>`); whole numbers
    are sent as numbers (the check refuses text where a number is due)."""
    item = BY_CODE.get(item_code)
    kinds = dict(item.fields) if item else {}
    meta: dict = {}
    for key, value in form.multi_items():
        if not key.startswith("meta_") or not isinstance(value, str) or not value.strip():
            continue
        name = key[5:]
        meta[name] = int(value) if kinds.get(name) == "int" and value.strip().isdigit() else value.strip()
    return meta


@router.post("/ownsystem/applications/{app_id}/documents")
async def upload(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    form = await request.form()
    item = str(form.get("item") or "")[:4]
    file = form.get("file")
    try:
        app = service.get_application(db, principal, app_id)
        if file is None or isinstance(file, str) or not file.filename:
            raise invalid("/file", N_("Choose a file."), code="missing")
        data = await file.read(MAX_FILE_BYTES + 1)
        documents.add_file(db, principal, app, item, file.filename, data, _meta_from(form, item))
        db.commit()
    except Problem as exc:
        db.rollback()
        return _detail(request, db, principal, app_id, error=_errors(exc, request_locale(request)))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done=document#documents", status_code=303)


@router.post("/ownsystem/applications/{app_id}/references")
async def attach(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    form = await request.form()
    item = str(form.get("item") or "")[:4]
    ref = str(form.get("ref") or "").strip()[:40]
    try:
        app = service.get_application(db, principal, app_id)
        if not ref:
            raise invalid("/ref", N_("Choose the record to attach."), code="missing")
        documents.add_reference(db, principal, app, item, ref, _meta_from(form, item))
        db.commit()
    except Problem as exc:
        db.rollback()
        return _detail(request, db, principal, app_id, error=_errors(exc, request_locale(request)))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done=document#documents", status_code=303)


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@router.post("/ownsystem/applications/{app_id}/documents/{doc_id}/mark")
def mark(app_id: int, doc_id: int, request: Request, legible: str = Form("", max_length=3), conforms: str = Form("", max_length=3),
         note: str = Form("", max_length=2000), db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.review"))):
    try:
        app = service.get_application(db, principal, app_id)
        documents.mark(db, principal, app, doc_id, _tristate(legible), _tristate(conforms), note.strip() or None)
        db.commit()
    except Problem as exc:
        db.rollback()
        return _detail(request, db, principal, app_id, error=_errors(exc, request_locale(request)))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done=marked#documents", status_code=303)


@router.post("/ownsystem/applications/{app_id}/srb")
async def srb_answer(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.srb"))):
    """The state revenue bodies' answer: from a CSV/XLSX file or from the customs feed in Qaldyq."""
    form = await request.form()
    locale = request_locale(request)
    file = form.get("file")
    try:
        raw_day = str(form.get("day") or "")
        try:
            day = date.fromisoformat(raw_day) if raw_day else None
        except ValueError:
            raise invalid("/day", N_("Must be a date (YYYY-MM-DD)."), code="date_parsing") from None
        app = service.get_application(db, principal, app_id)
        if form.get("source") == "feed":
            items = customs.from_feed(db, app)
        elif file is None or isinstance(file, str) or not file.filename:
            raise invalid("/file", N_("Choose a file."), code="missing")
        else:
            items = customs.parse(await file.read(2 * 1024 * 1024), file.filename)
        service.fire(db, app, principal, EventIn(event="srb_answer", day=day, srb_items=items))
        db.commit()
    except Problem as exc:
        db.rollback()
        return _detail(request, db, principal, app_id, error=_errors(exc, locale))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done=srb", status_code=303)


# --- review rules --------------------------------------------------------------------------------

def _rules_page(request: Request, db: Session, principal: Principal, errors: list[str] | None = None, typed: dict | None = None,
                flash: str | None = None):
    rows = review.rules(db)
    db.commit()  # the default rules are stored on first use
    return render(request, "ownsystem/rules.html", {
        "rules": rows, "specs": review.SPECS, "params": review.PARAMS, "severity_labels": review.SEVERITY_LABELS, "errors": errors or [],
        "typed": typed or {}, "can_edit": principal.can("ownsystem.decide"), "flash": flash,
    }, status_code=422 if errors else 200)


@router.get("/ownsystem/rules")
def rules_page(request: Request, done: str | None = None, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    flash = translate(request_locale(request), DONE[done]) if done in DONE else None
    return _rules_page(request, db, principal, flash=flash)


@router.post("/ownsystem/rules/{code}")
async def rule_save(code: str, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.decide"))):
    form = await request.form()
    spec = review.SPECS.get(code)
    if spec is None:
        return _rules_page(request, db, principal, [translate(request_locale(request), "Not found.")])
    params = {k: str(form.get(f"param_{k}") or "") for k in spec.params}
    typed = {"code": code, "params": params, "severity": str(form.get("severity") or ""), "active": bool(form.get("active"))}
    try:
        review.update_rule(db, code, params or None, typed["severity"] or None, typed["active"])
        db.commit()
    except Problem as exc:
        db.rollback()
        label = translate(request_locale(request), spec.label)
        return _rules_page(request, db, principal, [f"{label} — {m}" for m in _errors(exc, request_locale(request))], typed)
    return RedirectResponse("/ownsystem/rules?done=rule", status_code=303)
