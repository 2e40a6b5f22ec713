"""Citizen reports in and out. Three views of a report: the official's (everything), the
reporter's (by the private link: no internal ids, organizations instead of persons) and the
public one (no description, no contact, rounded location)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qaldyq.core.errors import field_error
from qaldyq.core.schemas import Strict


def _blank_to_none(value):
    return None if isinstance(value, str) and not value.strip() else value


class ReportIn(Strict):
    """The fields of a report (multipart form fields in the API; photos come as files `photos`)."""

    kind: str = Field(min_length=1, max_length=32, description="Kind code, see GET /citizens/kinds")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="Latitude, WGS 84")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude, WGS 84")
    region_kato: str | None = Field(default=None, description="KATO code of the region; omitted: the region of the nearest centre")
    description: str = Field(min_length=5, max_length=2000)
    contact: str | None = Field(default=None, max_length=200, description="Optional phone or e-mail; seen only by the moderators")
    pow_challenge: str | None = Field(default=None, max_length=200, description="From GET /citizens/challenge")
    pow_nonce: str | None = Field(default=None, max_length=20, description="Decimal nonce solving the challenge")
    website: str | None = Field(default=None, max_length=200, description="Honeypot: must be absent or empty")

    @field_validator("region_kato", "contact", "website", "pow_challenge", "pow_nonce", mode="before")
    @classmethod
    def _blank(cls, value):
        return _blank_to_none(value)

    @field_validator("region_kato")
    @classmethod
    def _kato(cls, value):
        if value is not None and (len(value) != 9 or not value.isdigit()):
            raise field_error("A KATO code has 9 digits.")
        return value


class ChallengeOut(BaseModel):
    challenge: str
    bits: int = Field(description="Leading zero bits required of SHA-256(challenge + ':' + nonce)")
    algorithm: str = "sha256-leading-zero-bits"
    issued_at: datetime
    expires_at: datetime
    not_before: datetime = Field(description="Reports sent before this time are refused as too fast")


class KindOut(BaseModel):
    code: str
    name_kk: str
    name_ru: str
    name_en: str


class PhotoOut(BaseModel):
    id: int
    stage: str
    width: int
    height: int
    size: int
    hidden: bool
    url: str
    thumb_url: str


class EventOut(BaseModel):
    at: datetime
    event: str
    event_label: str
    from_status: str | None
    to_status: str
    organization: str | None
    note: str | None
    reason_code: str | None
    scheduled_for: date | None
    region_kato: str | None


class ActionOut(BaseModel):
    event: str
    label: str
    next_status: str
    fields: list[str]


class SubmittedOut(BaseModel):
    number: str
    status: str
    region_kato: str
    region_source: str
    routed_to: str | None = Field(description="The akimat the report went to, when the region has one in the registry")
    photos: int
    private_token: str = Field(description="Shown once; keep it: it opens the status page without an account")
    private_url: str
    created_at: datetime


class ReporterView(BaseModel):
    """What the private link shows."""

    number: str
    kind: str
    status: str
    status_label: str
    region_kato: str
    region_name: str
    lat: float
    lon: float
    description: str
    created_at: datetime
    scheduled_for: date | None
    routed_to: str | None
    photos: list[PhotoOut]
    history: list[EventOut]


class ReportOut(BaseModel):
    """What the moderators see."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    kind: str
    status: str
    lat: float
    lon: float
    region_kato: str
    region_source: str
    akimat_org_id: int | None
    routed_to: str | None
    description: str
    contact: str | None
    channel: str
    locale: str
    created_at: datetime
    updated_at: datetime
    scheduled_for: date | None
    closed_at: datetime | None
    reject_code: str | None
    photos: list[PhotoOut]
    history: list[EventOut]
    actions: list[ActionOut] = Field(description="What the caller may do now, from the workflow table")


class ReportRow(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    region_kato: str
    created_at: datetime
    scheduled_for: date | None
    photos: int


class ReportPage(BaseModel):
    total: int
    items: list[ReportRow]


class PublicReport(BaseModel):
    """Open data: no description, no contact, the location rounded."""

    number: str
    kind: str
    status: str
    region_kato: str
    lat: float
    lon: float
    reported_on: date
    updated_on: date
    scheduled_for: date | None
    photo_urls: list[str]


class RegionCount(BaseModel):
    region_kato: str
    region_name_kk: str
    region_name_ru: str
    region_name_en: str
    by_status: dict[str, int]
    total: int
    collection_points: int


class TransitionRow(BaseModel):
    state: str
    event: str
    next_state: str
    permission: str
    guard: str | None
    fields: list[str]
