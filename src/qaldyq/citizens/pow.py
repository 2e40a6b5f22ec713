"""Proof of work for anonymous reports (hashcash-like; no external service).

The server issues a challenge `v1.<bits>.<issued unix time>.<random>.<mac>`, where the mac is an
HMAC-SHA256 over the other parts with the instance secret, so challenges need no storage until
they are spent. The client finds a nonce (a decimal number) such that

    SHA-256( UTF-8( challenge + ":" + nonce ) )

starts with at least `bits` zero bits, and sends challenge and nonce with the report. The server
checks the mac, the age (the form must have been open at least `min_fill_seconds`, and at most
`challenge_minutes`), the hash, and that the challenge was not used before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qaldyq.citizens.models import SpentChallenge
from qaldyq.core.database import utcnow
from qaldyq.core.errors import invalid

VERSION = "v1"
MAX_NONCE_LEN = 20
CLOCK_SKEW = timedelta(seconds=60)


@dataclass(frozen=True)
class Challenge:
    challenge: str
    bits: int
    issued_at: datetime
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"qaldyq-citizens-pow:{body}".encode(), hashlib.sha256).digest()[:18])


def issue(secret: str, bits: int, minutes: int, now: datetime | None = None) -> Challenge:
    now = now or utcnow()
    body = f"{VERSION}.{bits}.{int(now.timestamp())}.{_b64(secrets.token_bytes(12))}"
    issued = datetime.fromtimestamp(int(now.timestamp()), tz=now.tzinfo)
    return Challenge(f"{body}.{_mac(secret, body)}", bits, issued, issued + timedelta(minutes=minutes))


def leading_zero_bits(digest: bytes) -> int:
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def digest_of(challenge: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()


def solve(challenge: str, bits: int) -> str:
    """What the bundled JavaScript does, for tests and API clients written in Python."""
    n = 0
    while leading_zero_bits(digest_of(challenge, str(n))) < bits:
        n += 1
    return str(n)


def verify_and_spend(db: Session, secret: str, challenge: str | None, nonce: str | None, *, min_fill_seconds: int, minutes: int,
                     now: datetime | None = None) -> None:
    """Refuse a missing, forged, stale, too-fresh, unsolved or reused challenge; else mark it spent
    (in the caller's transaction: a report refused later leaves the challenge usable)."""
    now = now or utcnow()
    if not challenge:
        raise invalid("/pow_challenge", "The proof-of-work challenge is missing. Reload the form.", code="pow-missing")
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not parts[1].isdigit() or not parts[2].isdigit():
        raise invalid("/pow_challenge", "The proof-of-work challenge is not valid. Reload the form.", code="pow-invalid")
    body, mac = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise invalid("/pow_challenge", "The proof-of-work challenge is not valid. Reload the form.", code="pow-invalid")
    bits, issued = int(parts[1]), datetime.fromtimestamp(int(parts[2]), tz=now.tzinfo)
    if issued > now + CLOCK_SKEW or now - issued > timedelta(minutes=minutes):
        raise invalid("/pow_challenge", "The form has expired. Reload it and try again.", code="pow-expired")
    if now - issued < timedelta(seconds=min_fill_seconds):
        raise invalid("/pow_challenge", "The form was sent too quickly. Wait a few seconds and send it again.", code="too-fast")
    if not nonce or len(nonce) > MAX_NONCE_LEN or not nonce.isascii() or not nonce.isdigit():
        raise invalid("/pow_nonce", "The proof-of-work answer is missing or malformed.", code="pow-missing")
    if leading_zero_bits(digest_of(challenge, nonce)) < bits:
        raise invalid("/pow_nonce", "The proof-of-work answer is wrong.", code="pow-wrong")
    digest = hashlib.sha256(challenge.encode()).hexdigest()
    if db.scalar(select(SpentChallenge.id).where(SpentChallenge.digest == digest)) is not None:
        raise invalid("/pow_challenge", "This form was already sent. Reload it to send another report.", code="pow-reused")
    db.execute(delete(SpentChallenge).where(SpentChallenge.expires_at < now))
    db.add(SpentChallenge(digest=digest, expires_at=issued + timedelta(minutes=minutes) + CLOCK_SKEW))
