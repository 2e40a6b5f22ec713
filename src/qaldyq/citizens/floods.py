"""Rate limits for anonymous reports, per client address and per device cookie, kept in the
database so that every worker sees the same counts. Only accepted reports count: a refused
request stores nothing, and the proof of work already makes each attempt cost the sender.

Sources are stored as keyed hashes (HMAC with the instance secret), never as addresses, and the
rows are deleted after the longest window."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from qaldyq.citizens.models import FloodHit
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem


@dataclass(frozen=True)
class Limit:
    source: str  # "address" or "device"
    window: timedelta
    max_reports: int


# Addresses are shared (mobile carriers' NAT, offices, schools), devices are not: the address
# limit is the looser one.
LIMITS: tuple[Limit, ...] = (
    Limit("device", timedelta(hours=1), 5),
    Limit("device", timedelta(days=1), 15),
    Limit("address", timedelta(hours=1), 20),
    Limit("address", timedelta(days=1), 60),
)
KEEP = max(limit.window for limit in LIMITS)


@dataclass(frozen=True)
class Source:
    address: str | None
    device: str | None


def _network(address: str) -> str:
    """An IPv6 client usually holds a whole /64, so it counts as one source."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keys(source: Source, secret: str) -> dict[str, str]:
    def keyed(kind: str, value: str) -> str:
        return f"{kind}:" + hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]

    out = {}
    if source.address:
        out["address"] = keyed("address", _network(source.address))
    if source.device:
        out["device"] = keyed("device", source.device)
    return out


def check_and_count(db: Session, source: Source, secret: str, now: datetime | None = None) -> None:
    """Refuse with 429 when a source has reached a limit; else count this report."""
    now = now or utcnow()
    found = keys(source, secret)
    if db.get_bind().dialect.name == "postgresql":
        # Serialize reports from one source across workers, so two at once cannot both slip under.
        for key in sorted(found.values()):
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
    for limit in LIMITS:
        key = found.get(limit.source)
        if key is None:
            continue
        since = now - limit.window
        count = db.scalar(select(func.count()).select_from(FloodHit).where(FloodHit.key == key, FloodHit.at > since)) or 0
        if count >= limit.max_reports:
            oldest = db.scalar(select(func.min(FloodHit.at)).where(FloodHit.key == key, FloodHit.at > since))
            retry = max(60, int(((oldest or now) + limit.window - now).total_seconds()) + 1)
            raise Problem(429, "too-many-reports", "Too many reports.",
                          "Too many reports from this device or network: at most {max} in {hours} h. Try again in {minutes} min.",
                          max=limit.max_reports, hours=int(limit.window.total_seconds() // 3600), minutes=(retry + 59) // 60)
    db.execute(delete(FloodHit).where(FloodHit.at < now - KEEP))
    for key in found.values():
        db.add(FloodHit(key=key, at=now))
