"""The "My signature" page: certificates, the key held for web signing (said plainly), and the
trusted certification authorities."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem
from qaldyq.core.i18n import Translator
from qaldyq.signing import service
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("My signature", "/signing", "signing.own", order=90)]


def _context(db: Session, principal: Principal, **extra) -> dict:
    return {"certificates": service.list_certificates(db, principal.user_id), "held": service.held_certificate(db, principal.user_id),
            "cas": service.trusted_cas(db), "now": utcnow(), "errors": [], "pem": "", **extra}


def _messages(exc: Problem, locale: str) -> list[str]:
    body = exc.body(locale)
    return [e["detail"] for e in body.get("errors", [])] or [body.get("detail") or body["title"]]


@router.get("/signing")
def page(request: Request, done: str | None = None, principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    flash = {"registered": _("The certificate is registered."), "revoked": _("The certificate is revoked."),
             "held": _("Your web signing key is ready.")}.get(done or "")
    return render(request, "signing/page.html", _context(db, principal, flash=flash))


@router.post("/signing/certificates")
async def register(request: Request, principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    form = await request.form()
    pem = str(form.get("certificate") or "")
    try:
        if len(pem) > 64 * 1024:
            raise Problem(422, "invalid", "The request is not valid.", "The certificate is too large.")
        service.register_certificate(db, principal.user_id, pem)
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "signing/page.html", _context(db, principal, errors=_messages(exc, request.state.locale), pem=pem), status_code=exc.status)
    return RedirectResponse("/signing?done=registered", status_code=303)


@router.post("/signing/certificates/{certificate_id}/revoke")
def revoke(request: Request, certificate_id: int, principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    service.revoke_certificate(db, principal.user_id, certificate_id)
    db.commit()
    return RedirectResponse("/signing?done=revoked", status_code=303)


@router.post("/signing/held-key")
def held_key(request: Request, principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    try:
        service.ensure_held_key(db, principal.user_id)
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "signing/page.html", _context(db, principal, errors=_messages(exc, request.state.locale)), status_code=exc.status)
    return RedirectResponse("/signing?done=held", status_code=303)
