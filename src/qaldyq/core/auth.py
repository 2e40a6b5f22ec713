"""Who is calling, and may they do this? API tokens (Bearer) and browser sessions (cookie + CSRF).

Every endpoint declares a permission with `Depends(require("registry.read"))`; the principal it
returns carries the scope (all, region, own) that the service applies to its queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.audit import Actor, set_actor
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem, forbidden, unauthorized
from qaldyq.core.models import ApiToken, User, WebSession
from qaldyq.core.roles import Role, Scope, all_permissions
from qaldyq.core.security import TOKEN_PREFIX, same, sha256_hex

SESSION_COOKIE = "qaldyq_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Principal:
    user_id: int
    username: str
    full_name: str
    org_id: int
    org_name: str
    role: Role
    region_kato: str | None
    via: str  # "token", "session" or "cli"
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))
    csrf_token: str | None = None

    def scope(self, permission: str) -> Scope | None:
        return all_permissions().get(permission, {}).get(self.role)

    def can(self, permission: str) -> bool:
        return self.scope(permission) is not None

    def sees_org(self, permission: str, org_id: int, org_regions: set[str] | None = None) -> bool:
        """Whether the permission reaches organization `org_id` (whose regions are given for
        region-scoped roles)."""
        scope = self.scope(permission)
        if scope is Scope.ALL:
            return True
        if scope is Scope.OWN:
            return org_id == self.org_id
        if scope is Scope.REGION:
            return org_id == self.org_id or (self.region_kato is not None and self.region_kato in (org_regions or set()))
        return False

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.org_id, f"{self.username} ({self.via})")


def principal_for_user(user: User, via: str, scopes: frozenset[str] | None = None, csrf: str | None = None) -> Principal:
    org = user.organization
    return Principal(
        user_id=user.id, username=user.username, full_name=user.full_name, org_id=user.organization_id,
        org_name=org.name_ru if org else "", role=Role(user.role), region_kato=org.region_kato if org else None,
        via=via, scopes=scopes or frozenset({"read", "write"}), csrf_token=csrf,
    )


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.db.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _user_columns():
    # The registry's Organization, reached through the relationship so that core does not import
    # the registry; principal_for_user reads the same two columns.
    org = User.organization.property.mapper.class_
    return org, (User.id, User.username, User.full_name, User.organization_id, User.role, User.active, org.name_ru, org.region_kato)


def _principal(row, via: str, scopes: frozenset[str] | None = None, csrf: str | None = None) -> Principal | None:
    if not row.active:
        return None
    return Principal(
        user_id=row.id, username=row.username, full_name=row.full_name, org_id=row.organization_id, org_name=row.name_ru or "",
        role=Role(row.role), region_kato=row.region_kato, via=via, scopes=scopes or frozenset({"read", "write"}), csrf_token=csrf,
    )


# Every authenticated request resolves its caller, so it is one round trip: the token (or
# session), its user and the user's organization in one SELECT, without loading ORM objects (the
# User mapper would add the organization's roles and region as further queries). Tokens are
# looked up by the SHA-256 of their secret (a random 256-bit value: no slow hash is needed).

def _from_token(db: Session, raw: str) -> Principal | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    org, cols = _user_columns()
    row = db.execute(
        select(*cols, ApiToken.scopes, ApiToken.revoked_at, ApiToken.expires_at).select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id).outerjoin(org, org.id == User.organization_id)
        .where(ApiToken.secret_hash == sha256_hex(raw))
    ).one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= utcnow()):
        return None
    return _principal(row, "token", frozenset(row.scopes))


def _from_session(db: Session, sid: str) -> Principal | None:
    org, cols = _user_columns()
    row = db.execute(
        select(*cols, WebSession.expires_at, WebSession.csrf_token).select_from(WebSession)
        .join(User, User.id == WebSession.user_id).outerjoin(org, org.id == User.organization_id)
        .where(WebSession.id_hash == sha256_hex(sid))
    ).one_or_none()
    if row is None or row.expires_at <= utcnow():
        return None
    return _principal(row, "session", csrf=row.csrf_token)


def optional_principal(request: Request, db: Session = Depends(get_db)) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        set_actor(db, cached.actor)
        return cached
    principal = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        principal = _from_token(db, header[7:].strip())
        if principal is None:
            raise unauthorized()
    elif sid := request.cookies.get(SESSION_COOKIE):
        principal = _from_session(db, sid)
    if principal is not None:
        request.state.principal = principal
        set_actor(db, principal.actor)
    return principal


async def checked_principal(request: Request, principal: Principal | None = Depends(optional_principal)) -> Principal | None:
    """A browser session may change something only with its CSRF token (header or form field)."""
    if principal is not None and principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if not sent and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
        if not isinstance(sent, str) or not same(sent, principal.csrf_token or ""):
            raise Problem(403, "csrf", "Forbidden.", "The form has expired or did not come from this site. Reload the page and try again.")
    return principal


def current_principal(request: Request, principal: Principal | None = Depends(checked_principal)) -> Principal:
    if principal is None:
        raise unauthorized()
    if request.method not in SAFE_METHODS and "write" not in principal.scopes:
        raise forbidden("This API token may only read.")
    return principal


def require(permission: str):
    """Dependency: the caller must hold `permission` in some scope."""

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.can(permission):
            raise forbidden()
        return principal

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


def session_expiry(hours: int):
    return utcnow() + timedelta(hours=hours)
