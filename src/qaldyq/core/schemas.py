from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qaldyq.core.roles import Role


class Strict(BaseModel):
    """Input models refuse unknown fields, so a typo is an error and not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str
    revisions: list[str]
    migrations_current: bool


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="api", max_length=100)
    scopes: list[Literal["read", "write"]] = Field(default_factory=lambda: ["read", "write"], min_length=1)
    days: int = Field(default=30, ge=1, le=3650)


class NewToken(Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Literal["read", "write"]] = Field(min_length=1)
    days: int = Field(default=365, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret; shown only once.")


class Me(BaseModel):
    user_id: int
    username: str
    full_name: str
    organization_id: int
    organization_name: str
    role: Role
    region_kato: str | None
    permissions: dict[str, str]


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)
    full_name: str = Field(min_length=1, max_length=200)
    organization_id: int = Field(ge=1)
    role: Role
    email: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str
    organization_id: int
    role: Role
    email: str | None
    active: bool


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    actor_label: str
    action: str
    entity: str
    entity_id: str
    before: dict | None
    after: dict | None
    hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str | None
