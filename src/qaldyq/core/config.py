"""Settings from the environment (prefix QALDYQ_). Secrets are never in the repository: the
session and key-encryption secret is generated on first use into the instance folder."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QALDYQ_", extra="ignore")

    database_url: str = "sqlite:///qaldyq.db"
    instance_dir: Path = Path(".qaldyq")
    secret_key: str | None = None
    default_locale: str = "kk"
    session_hours: int = 12
    secure_cookies: bool = False
    public_base_url: str = "http://127.0.0.1:8000"
    max_upload_bytes: int = 10 * 1024 * 1024
    login_rate_per_minute: int = 10
    # Per worker process (app.Admission): requests served at once, of which writes; how long a
    # request may wait for its turn before it is answered 503 with Retry-After.
    max_concurrent_requests: int = 16
    max_concurrent_writes: int = 6
    admission_wait_seconds: float = 60.0

    def resolved_secret(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.instance_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
