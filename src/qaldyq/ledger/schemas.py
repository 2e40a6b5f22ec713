from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from qaldyq.core.schemas import Strict
from qaldyq.ledger.service import MAX_MASS_KG
from qaldyq.signing.schemas import SignatureIn, StoredSignatureOut

Kg = Annotated[int, Field(strict=True, gt=0, le=MAX_MASS_KG, description="kilograms, a whole positive number")]
KgOrZero = Annotated[int, Field(strict=True, ge=0, le=MAX_MASS_KG)]
Id = Annotated[int, Field(strict=True, ge=1)]
WasteCode = Annotated[str, Field(min_length=1, max_length=32, description="waste code as in the classifier, e.g. '20 03 01'")]


class ReferenceIn(Strict):
    type: str = Field(min_length=1, max_length=32, description="document type, e.g. 'transfer'")
    id: str = Field(min_length=1, max_length=64, description="document number or id")


class EventIn(Strict):
    idempotency_key: str = Field(min_length=1, max_length=200, description="unique per event: a retry with the same key records nothing twice")
    site_id: Id = Field(description="the site that performs the operation")
    effective_at: AwareDatetime | None = Field(default=None, description="when it happened (default: now); never in the future")
    reference: ReferenceIn | None = None
    note: str | None = Field(default=None, max_length=1000)


class GenerationIn(EventIn):
    waste_code: WasteCode
    mass_kg: Kg


class DisposalIn(EventIn):
    waste_code: WasteCode
    mass_kg: Kg
    operation: str | None = Field(default=None, max_length=16, description="disposal operation code, e.g. D1")


class ExportIn(EventIn):
    waste_code: WasteCode
    mass_kg: Kg
    country: str = Field(min_length=2, max_length=2, description="destination country, ISO 3166-1 alpha-2")


class MassIn(Strict):
    waste_code: WasteCode
    mass_kg: Kg


class OutputIn(Strict):
    kind: Literal["waste", "product"] = Field(description="'waste': another waste code kept at the site; 'product': end-of-waste product")
    code: str = Field(min_length=1, max_length=100, description="waste code, or the product's name or code")
    mass_kg: Kg


class ProcessingIn(EventIn):
    inputs: list[MassIn] = Field(min_length=1, max_length=50)
    outputs: list[OutputIn] = Field(default_factory=list, max_length=50)
    residues: list[MassIn] = Field(default_factory=list, max_length=50)
    loss_kg: KgOrZero = 0
    operation: str | None = Field(default=None, max_length=16, description="recovery or disposal operation code, e.g. R3")


class ReversalIn(Strict):
    idempotency_key: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1000)
    effective_at: AwareDatetime | None = None


class Signed(Strict):
    signature: SignatureIn = Field(description="over the payload from the matching signing-request endpoint")


class GenerationSigned(GenerationIn, Signed):
    pass


class DisposalSigned(DisposalIn, Signed):
    pass


class ExportSigned(ExportIn, Signed):
    pass


class ProcessingSigned(ProcessingIn, Signed):
    pass


class ReversalSigned(ReversalIn, Signed):
    pass


class EntryOut(BaseModel):
    account_id: int
    account_kind: str
    site_id: int | None
    waste_code: str
    amount_kg: int
    line: str


class ReferenceOut(BaseModel):
    type: str
    id: str


class TransactionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    site_id: int | None
    counterparty_site_id: int | None
    waste_code: str | None
    mass_kg: int
    operation: str | None
    country: str | None
    reference: ReferenceOut | None
    effective_at: datetime
    recorded_at: datetime
    idempotency_key: str
    settles_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    note: str | None
    entries: list[EntryOut]
    signatures: list[StoredSignatureOut] = []


class BalanceOut(BaseModel):
    waste_code: str
    balance_kg: int


class SiteBalancesOut(BaseModel):
    site_id: int
    at: date | None = Field(description="null: now")
    balances: list[BalanceOut]


class MovementOut(BaseModel):
    entry_id: int
    transaction_id: int
    kind: str
    line: str
    waste_code: str
    amount_kg: int
    effective_at: datetime
    counterparty_site_id: int | None
    counterparty_site_name: str | None
    reference: ReferenceOut | None
    operation: str | None
    reversed: bool
    reverses_id: int | None


class MovementsOut(BaseModel):
    site_id: int
    total: int
    items: list[MovementOut]


class MassBalanceRowOut(BaseModel):
    waste_code: str
    opening_kg: int
    generated_kg: int
    received_kg: int
    returned_kg: int
    produced_kg: int
    processed_kg: int
    sent_kg: int
    disposed_kg: int
    exported_kg: int
    loss_kg: int
    closing_kg: int


class ProductOut(BaseModel):
    product: str
    mass_kg: int


class MassBalanceOut(BaseModel):
    site_id: int
    site_name: str
    organization_name: str
    organization_bin: str
    date_from: date
    date_to: date
    rows: list[MassBalanceRowOut]
    total: MassBalanceRowOut
    products: list[ProductOut]


class ChainTxOut(BaseModel):
    id: int
    kind: str
    site_id: int | None
    site_name: str | None
    counterparty_site_id: int | None
    counterparty_site_name: str | None
    waste_code: str | None
    mass_kg: int
    effective_at: datetime
    reference: ReferenceOut | None
    operation: str | None
    country: str | None
    reversed: bool


class ChainNodeOut(BaseModel):
    kg: int
    waste_code: str | None
    transaction: ChainTxOut | None
    end: str | None = Field(description="origin, disposal, export, product, loss, held, unattributed; null for a transaction")
    end_detail: str | None
    children: list[ChainNodeOut]


class ChainOut(BaseModel):
    root: ChainTxOut
    sources: list[ChainNodeOut]
    destinations: list[ChainNodeOut]
    truncated: bool


class LedgerCheckOut(BaseModel):
    ok: bool
    transactions: int
    entries: int
    accounts: int
    problems: list[str]


class SigningRequestOut(BaseModel):
    payload: str
    sha256: str
