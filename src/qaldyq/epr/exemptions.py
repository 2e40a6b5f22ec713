"""The eight exemptions from the extended obligations (report 000 §2.4), each with the evidence
it needs, as data. A line claiming an exemption must carry every kind of evidence listed."""

from __future__ import annotations

from dataclasses import dataclass

from qaldyq.core.i18n import N_


@dataclass(frozen=True)
class Exemption:
    code: str
    item: int  # the item of the list in §2.4
    label: str
    evidence: tuple[str, ...]  # evidence kinds required
    kinds: tuple[str, ...]  # line kinds it may apply to
    min_recycled_percent: int | None = None


PACKAGING_AND_PRODUCTS = ("product", "packaging")
EXEMPTIONS: dict[str, Exemption] = {e.code: e for e in (
    Exemption("recycled-content", 1, N_("Packaging with at least 30 % recycled materials"), ("recycled_content_certificate",), ("packaging",), 30),
    Exemption("sold-abroad", 2, N_("Products sold outside Kazakhstan"), ("export_declaration",), ("product", "vehicle")),
    Exemption("packaging-exported", 3, N_("Packaging of products sold outside Kazakhstan"), ("export_declaration",), ("packaging",)),
    Exemption("personal-use", 4, N_("Import by individuals within duty-free personal-use quotas"), ("personal_import_declaration",), PACKAGING_AND_PRODUCTS),
    Exemption("social-food", 5, N_("Packaging of socially significant food products"), ("social_food_list_reference", "import_contract"), ("packaging",)),
    Exemption("preform-paid", 6, N_("Polymer packaging from preforms already paid for"), ("preform_payment_certificate",), ("packaging",)),
    Exemption("own-needs", 7, N_("Packaging for the company's own needs, not for sale"), ("own_use_statement",), ("packaging",)),
    Exemption("gratuitous-aid", 8, N_("Packaging of goods imported as foreign gratuitous aid"), ("aid_registration",), ("packaging",)),
)}

EVIDENCE_LABELS = {
    "recycled_content_certificate": N_("Certificate of recycled content"),
    "export_declaration": N_("Export customs declaration"),
    "personal_import_declaration": N_("Passenger customs declaration"),
    "social_food_list_reference": N_("Item of the list of socially significant food products"),
    "import_contract": N_("Import contract"),
    "preform_payment_certificate": N_("Certificate of payment for the preforms"),
    "own_use_statement": N_("Statement of own use with the accounting record"),
    "aid_registration": N_("Registration of the foreign gratuitous aid"),
}
