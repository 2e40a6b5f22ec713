"""The documents of point 3 and Appendix 2 (rows 1–10) as data: who supplies each, when it is
required (the conditional rules), the metadata it carries and whether a record already in Qaldyq
may stand for it (`by_reference`: transfer documents by number, weighing instruments by id).

Point 3 and Appendix 2 differ slightly; this is their union (digest §6): receipts from
individuals with acceptance acts (3a), contracts for third-party transport or rental (4)."""

from __future__ import annotations

from dataclasses import dataclass

from qaldyq.core.i18n import N_


@dataclass(frozen=True)
class Item:
    code: str
    row: int  # Appendix 2 row
    label: str
    supplier: str  # applicant | authority | operator
    when: str  # always | producer | not_on_site | standards_apply | other_operations | import_docs_requested
    fields: tuple[tuple[str, str], ...] = ()  # typed metadata: (name, type) with type date|text|tonnes|int|signatory
    by_reference: str | None = None  # transfer | instrument
    point: str = ""


SIGNED = ("signatory", "signatory")  # first head, authorized person or substitute (point 3.3, 3.5, 3.6)

ITEMS: tuple[Item, ...] = (
    Item("1", 1, N_("Technological regulation"), "applicant", "always", point="3.1"),
    Item("2", 2, N_("Inventory list of long-term assets (Order No. 562 form)"), "applicant", "always", point="3.2"),
    Item("3a", 3, N_("Waste acceptance–transfer acts (receipts from individuals)"), "applicant", "always",
         (("date", "date"), ("number", "text"), ("mass_t", "tonnes"), ("counterparty", "text")), "transfer", "3.3"),
    Item("3b", 3, N_("Acts on weighing results"), "applicant", "always",
         (("instrument_name", "text"), ("instrument_type", "text"), ("serial_number", "text"), ("year_made", "int")), "transfer", "3.3"),
    Item("3c", 3, N_("Verification certificates of weighing equipment"), "applicant", "always", (("instrument_id", "int"),), "instrument", "3.3"),
    Item("3d", 3, N_("Summary of receipt orders for collected waste"), "applicant", "always", (("mass_t", "tonnes"), SIGNED), point="3.3"),
    Item("4", 4, N_("Transport documents (consignment notes, waybills, railway notes, third-party contracts)"), "applicant", "not_on_site",
         by_reference="transfer", point="3.4"),
    Item("5a", 5, N_("Summary of acts writing off waste to production"), "applicant", "always", (("mass_t", "tonnes"), SIGNED), point="3.5"),
    Item("5b", 5, N_("Summary of receipt orders for the finished product"), "applicant", "always", (("mass_t", "tonnes"), SIGNED), point="3.5"),
    Item("5c", 5, N_("Documents on conformity with national standards"), "applicant", "standards_apply", point="3.5"),
    Item("5d", 5, N_("Material statement for the half-year (waste and finished product)"), "applicant", "always", (SIGNED,), point="3.5"),
    Item("6a", 6, N_("Sales report of the finished product"), "applicant", "producer", (("mass_t", "tonnes"), SIGNED), point="3.6"),
    Item("6b", 6, N_("Electronic invoices for the finished product sold"), "applicant", "producer", point="3.6"),
    Item("6c", 6, N_("Material statement of the finished product sold"), "applicant", "producer", (SIGNED,), point="3.6"),
    Item("7", 7, N_("Information on other waste management operations"), "applicant", "other_operations", (("mass_t", "tonnes"),), point="3"),
    Item("8", 8, N_("Data of the state revenue bodies on imported products"), "authority", "always", point="4"),
    Item("9", 9, N_("Import documents (packing lists, passports, international consignment notes, invoices)"), "applicant",
         "import_docs_requested", point="6.5"),
)
APP2_ROW10 = N_("Conclusion on the conformity of the applicant's system with the Requirements and the Rules")
BY_CODE = {i.code: i for i in ITEMS}

# What a file may be, recognised by its first bytes (never by the name or the declared type).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),  # XLSX, DOCX (office documents are ZIP containers)
)
MAX_FILE_BYTES = 20 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    return next((t for sig, t in SIGNATURES if data.startswith(sig)), None)


def required(item: Item, app) -> bool:
    """Whether the item is required for this application (the conditional rules of point 3)."""
    return {
        "always": True,
        "producer": app.applicant_kind in ("producer", "both"),
        "not_on_site": not app.collection_on_site,
        "standards_apply": app.standards_apply,
        "other_operations": app.other_operations,
        "import_docs_requested": any(e.event == "request_import_docs" for e in app.events),
    }[item.when]
