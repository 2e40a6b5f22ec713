from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq import __version__
from qaldyq.core import audit, service
from qaldyq.core.auth import Principal, current_principal, get_db, require
from qaldyq.core.errors import forbidden
from qaldyq.core.migrate import current_revisions, is_current
from qaldyq.core.models import AuditRecord, User
from qaldyq.core.roles import Role, Scope, all_permissions
from qaldyq.core.schemas import AuditOut, AuditVerifyOut, Health, Me, NewToken, TokenCreated, TokenOut, TokenRequest, UserIn, UserOut

router = APIRouter()


@router.get("/health", response_model=Health, tags=["system"])
def health(request: Request):
    db = request.app.state.db
    revisions = current_revisions(db.engine)
    return Health(status="ok", version=__version__, database=db.kind, revisions=revisions, migrations_current=is_current(db.engine, db.url))


@router.post("/auth/token", response_model=TokenCreated, status_code=201, tags=["auth"])
def login_for_token(body: TokenRequest, request: Request, db: Session = Depends(get_db)):
    """Exchange a user name and password for an API token (scoped, expiring, revocable)."""
    client = request.client.host if request.client else "?"
    try:
        user = service.authenticate(db, body.username, body.password, client, request.app.state.settings.login_rate_per_minute)
    except Exception:
        db.commit()  # keep the failed-attempt count
        raise
    audit.set_actor(db, audit.Actor(user.id, user.organization_id, f"{user.username} (login)"))
    token, secret = service.create_token(db, user, body.name, list(body.scopes), body.days)
    db.commit()
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.get("/me", response_model=Me, tags=["auth"])
def me(principal: Principal = Depends(current_principal)):
    perms = {name: str(scopes[principal.role]) for name, scopes in sorted(all_permissions().items()) if principal.role in scopes}
    return Me(user_id=principal.user_id, username=principal.username, full_name=principal.full_name, organization_id=principal.org_id,
              organization_name=principal.org_name, role=principal.role, region_kato=principal.region_kato, permissions=perms)


@router.get("/me/tokens", response_model=list[TokenOut], tags=["auth"])
def my_tokens(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)):
    return service.list_tokens(db, principal.user_id)


@router.post("/me/tokens", response_model=TokenCreated, status_code=201, tags=["auth"])
def new_token(body: NewToken, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)):
    token, secret = service.create_token(db, service.get_user(db, principal.user_id), body.name, list(body.scopes), body.days)
    db.commit()
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/me/tokens/{token_id}", response_model=TokenOut, tags=["auth"])
def revoke(token_id: int, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)):
    token = service.revoke_token(db, principal.user_id, token_id)
    db.commit()
    return token


@router.get("/users", response_model=list[UserOut], tags=["users"])
def users(principal: Principal = Depends(require("users.read")), db: Session = Depends(get_db),
          organization_id: int | None = Query(default=None, ge=1)):
    q = select(User).order_by(User.id)
    if principal.scope("users.read") is Scope.OWN:
        q = q.where(User.organization_id == principal.org_id)
    if organization_id:
        q = q.where(User.organization_id == organization_id)
    return list(db.scalars(q.limit(1000)))


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def create_user(body: UserIn, principal: Principal = Depends(require("users.manage")), db: Session = Depends(get_db)):
    if principal.scope("users.manage") is Scope.OWN:
        if body.organization_id != principal.org_id:
            raise forbidden("You may manage only the users of your own organization.")
        if body.role not in (Role.ORG_ADMIN, Role.ORG_USER):
            raise forbidden("This role can be given only by the system administrator.")
    user = service.create_user(db, **body.model_dump())
    db.commit()
    return user


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_log(principal: Principal = Depends(require("audit.read")), db: Session = Depends(get_db),
              entity: str | None = Query(default=None, max_length=64), entity_id: str | None = Query(default=None, max_length=64),
              limit: int = Query(default=100, ge=1, le=1000)):
    q = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
    if entity:
        q = q.where(AuditRecord.entity == entity)
    if entity_id:
        q = q.where(AuditRecord.entity_id == entity_id)
    return list(db.scalars(q))


@router.get("/audit/verify", response_model=AuditVerifyOut, tags=["audit"])
def audit_verify(principal: Principal = Depends(require("audit.read")), db: Session = Depends(get_db)):
    r = audit.verify(db)
    return AuditVerifyOut(ok=r.ok, checked=r.checked, broken_seq=r.broken_seq, reason=r.reason)
