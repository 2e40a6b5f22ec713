"""Users, API tokens, web sessions, login rate limit and public numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem, conflict, invalid, not_found
from qaldyq.core.models import ApiToken, Counter, LoginAttempt, User, WebSession
from qaldyq.core.roles import Role
from qaldyq.core.security import hash_password, new_session_id, new_token, verify_password

TOKEN_SCOPES = ("read", "write")
REGION_ROLES = {Role.AKIMAT, Role.INSPECTOR}


def create_user(db: Session, *, username: str, password: str, full_name: str, organization_id: int, role: str, email: str | None = None, locale: str | None = None) -> User:
    if role not in {r.value for r in Role}:
        raise invalid("/role", "Unknown role {role}.", code="unknown-role", role=role)
    if len(password) < 10:
        raise invalid("/password", "The password must have at least 10 characters.", code="weak-password")
    if db.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise conflict("/username", "The user name {username} is taken.", code="duplicate-username", username=username)
    from qaldyq.registry.service import get_organization

    get_organization(db, organization_id)
    user = User(username=username, password_hash=hash_password(password), full_name=full_name, organization_id=organization_id, role=role, email=email, locale=locale)
    db.add(user)
    db.flush()
    return user


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise not_found("User {id} does not exist.", id=user_id)
    return user


def user_by_name(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def create_token(db: Session, user: User, name: str, scopes: list[str], days: int | None = 365) -> tuple[ApiToken, str]:
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise invalid("/scopes", "Scopes must be chosen from: {allowed}.", code="unknown-scope", allowed=", ".join(TOKEN_SCOPES))
    secret, prefix, digest = new_token()
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, secret_hash=digest, scopes=sorted(set(scopes)), expires_at=utcnow() + timedelta(days=days) if days else None)
    db.add(token)
    db.flush()
    return token, secret


def revoke_token(db: Session, user_id: int, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise not_found("API token {id} does not exist.", id=token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.flush()
    return token


def list_tokens(db: Session, user_id: int) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def _too_many_attempts(db: Session, key: str, per_minute: int) -> bool:
    since = utcnow() - timedelta(minutes=1)
    return (db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at >= since)) or 0) >= per_minute


def authenticate(db: Session, username: str, password: str, client: str, per_minute: int) -> User:
    """Check a password; failures are counted per user name and per client address, and past the
    limit even a right password is refused for a minute (the caller commits the count)."""
    keys = [f"user:{username.lower()}", f"client:{client}"]
    if any(_too_many_attempts(db, k, per_minute) for k in keys):
        raise Problem(429, "rate-limited", "Too many attempts.", "Too many failed logins. Wait a minute and try again.")
    user = user_by_name(db, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        for k in keys:
            db.add(LoginAttempt(key=k))
        db.flush()
        raise Problem(401, "bad-credentials", "Authentication is required.", "Wrong user name or password.")
    return user


def start_session(db: Session, user: User, hours: int) -> tuple[str, WebSession]:
    sid, digest = new_session_id()
    _, csrf = new_session_id()
    ws = WebSession(id_hash=digest, user_id=user.id, csrf_token=csrf, expires_at=utcnow() + timedelta(hours=hours))
    db.add(ws)
    db.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    db.flush()
    return sid, ws


def end_session(db: Session, id_hash: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def next_number(db: Session, prefix: str, at: datetime | None = None, width: int = 6) -> str:
    """The next public identifier such as TD-2026-000123; the counter row is locked until commit."""
    year = (at or utcnow()).year
    return f"{prefix}-{year}-{reserve_numbers(db, prefix, year, 1):0{width}d}"


def reserve_numbers(db: Session, prefix: str, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers; returns the first. Safe under concurrent writers."""
    dialect = db.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Counter).values(prefix=prefix, year=year, value=0)
    db.execute(ins.on_conflict_do_nothing(index_elements=["prefix", "year"]))
    value = db.execute(
        update(Counter).where(Counter.prefix == prefix, Counter.year == year).values(value=Counter.value + count).returning(Counter.value)
    ).scalar_one()
    return value - count + 1
