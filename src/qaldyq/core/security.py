"""Password hashing (Argon2id), API token and session secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "qdq_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """(secret shown once, lookup prefix, hash kept at rest)."""
    body = secrets.token_urlsafe(32)
    secret = TOKEN_PREFIX + body
    return secret, body[:8], sha256_hex(secret)


def new_session_id() -> tuple[str, str]:
    sid = secrets.token_urlsafe(32)
    return sid, sha256_hex(sid)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
