"""The transfer document as a PDF (A4, Kazakh or Russian): parties, waste, weighing,
acceptance, the signatures recorded, and a QR code that opens the public verification page, so
a paper copy can be checked against the register by anyone holding it."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.core.config import get_settings
from qaldyq.core.i18n import N_, translate
from qaldyq.core.models import User
from qaldyq.registry import service as registry
from qaldyq.signing import service as signing
from qaldyq.transfers import service
from qaldyq.transfers.models import TransferDocument

FONTS = Path(__file__).resolve().parents[1] / "web" / "static" / "fonts"
LANGS = ("kk", "ru")
INK, MUTED, RULE, HEAD_FILL = (20, 33, 61), (90, 98, 112), (200, 206, 214), (230, 236, 244)

STATE_LABELS = {
    "draft": N_("Draft"), "signed_by_consignor": N_("Signed by the consignor"), "in_transit": N_("In transit"),
    "received": N_("Received"), "accepted": N_("Accepted"), "partially_accepted": N_("Partially accepted"),
    "refused": N_("Refused"), "processed": N_("Processed"), "cancelled": N_("Cancelled"),
}
ACTION_LABELS = {
    "sign_consignor": N_("Consignor's declaration"), "sign_carrier": N_("Carrier's take-over"), "receive": N_("Receipt and weighing"),
    "accept": N_("Acceptance"), "process": N_("Operation carried out"),
}
FORM_LABELS = {
    "solid": N_("solid"), "liquid": N_("liquid"), "sludge": N_("sludge"), "paste": N_("paste"), "powder": N_("powder"),
    "gas_in_container": N_("gas in a container"), "mixed": N_("mixed"),
}


def verification_url(number: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/transfers/{number}/verify"


def _kg(value: int | None, unit: str = "kg") -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f") + f" {unit}"


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(timezone.utc).strftime("%d.%m.%Y %H:%M UTC")


class _Pdf(FPDF):
    def __init__(self, lang: str, number: str):
        super().__init__(format="A4")
        self.lang, self.number = lang, number
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, 18)

    def _(self, msgid: str, **params) -> str:
        return translate(self.lang, msgid, **params)

    def footer(self):
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.number} · {self._('Check this document at')} {verification_url(self.number)}", align="L")
        self.cell(0, 4, self._("Page {page} of {pages}", page=self.page_no(), pages="{nb}"), align="R")

    def section(self, title: str):
        self.ln(3)
        self.set_font("DejaVu", "B", 10)
        self.set_text_color(*INK)
        self.cell(0, 6, title.upper(), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*INK)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def pairs(self, rows: list[tuple[str, str]]):
        self.set_font("DejaVu", "", 8.5)
        self.set_draw_color(*RULE)
        with self.table(col_widths=(55, 125), first_row_as_headings=False, line_height=5, borders_layout="HORIZONTAL_LINES",
                        padding=(1, 2)) as table:
            for label, value in rows:
                r = table.row()
                self.set_text_color(*MUTED)
                r.cell(label)
                self.set_text_color(0, 0, 0)
                r.cell(value or "—")


def _org_line(db: Session, org_id: int, lang: str) -> str:
    org = registry.get_organization(db, org_id)
    name = (org.name_kk if lang == "kk" else org.name_ru) or org.name_ru
    return f"{name} · {'БСН' if lang == 'kk' else 'БИН'} {org.bin}"


def _site_line(db: Session, site_id: int) -> str:
    site = registry.get_site(db, site_id)
    return ", ".join(p for p in (site.name, site.settlement, site.address) if p)


def render(db: Session, doc: TransferDocument, lang: str) -> bytes:
    pdf = _Pdf(lang, doc.number)
    pdf.add_page()
    _ = pdf._
    kg_unit = _("kg")
    waste = catalog.get_waste_code(db, doc.waste_code, pointer="/waste_code")

    # heading with the QR code at the right
    qr = io.BytesIO()
    segno.make(verification_url(doc.number), error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.w - pdf.r_margin - 32, y=13, w=32, h=32)
    pdf.set_text_color(*MUTED)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(140, 4, _("Republic of Kazakhstan · Unified waste accounting information system"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(140, 7, _("Waste transfer document"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(140, 7, f"№ {doc.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(140, 5, f"{_('Status')}: {_(STATE_LABELS.get(doc.state, doc.state))} · {_('Version')} {doc.version}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(140, 5, f"{_('Created')}: {_when(doc.created_at)} · {_('Updated')}: {_when(doc.updated_at)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), 47))

    pdf.section(_("Parties"))
    rows = [(_("Consignor"), _org_line(db, doc.consignor_org_id, lang)), (_("Consignor's site"), _site_line(db, doc.consignor_site_id))]
    for leg in doc.legs:
        plate = registry.get_vehicle(db, leg.vehicle_id).plate if leg.vehicle_id else "—"
        rows.append((_("Carrier, leg {seq}", seq=leg.seq), f"{_org_line(db, leg.carrier_org_id, lang)}\n{_('Vehicle')}: {plate} · {_('Taken over')}: {_when(leg.taken_over_at)}"))
    rows += [(_("Receiver"), _org_line(db, doc.receiver_org_id, lang)), (_("Receiver's site"), _site_line(db, doc.receiver_site_id))]
    pdf.pairs(rows)

    pdf.section(_("Waste"))
    containers = ", ".join(f"{c['type']} × {c['count']}" for c in doc.containers)
    pdf.pairs([
        (_("Waste code"), f"{waste.display} — {waste.name(lang)}"),
        (_("Hazardous"), _("yes") + (f" ({', '.join(doc.hazard_properties)})" if doc.hazard_properties else "") if doc.hazardous else _("no")),
        (_("Description"), doc.description), (_("Physical form"), _(FORM_LABELS.get(doc.physical_form, doc.physical_form))),
        (_("Containers"), containers), (_("Declared mass"), f"{_kg(unit=kg_unit, value=doc.declared_mass_kg)} ({_('weighed') if doc.mass_basis == 'weighed' else _('estimated')})"),
        (_("Planned operation"), doc.planned_operation),
    ])

    pdf.section(_("Receipt and acceptance"))
    instrument = registry.get_instrument(db, doc.instrument_id) if doc.instrument_id else None
    pdf.pairs([
        (_("Weighing instrument"), f"{instrument.name} · {instrument.serial_number}" if instrument else "—"),
        (_("Gross / tare / net"), f"{_kg(unit=kg_unit, value=doc.gross_kg)} / {_kg(unit=kg_unit, value=doc.tare_kg)} / {_kg(unit=kg_unit, value=doc.net_kg)}" if doc.net_kg is not None else "—"),
        (_("Weighed at"), _when(doc.received_at)), (_("Accepted"), _kg(unit=kg_unit, value=doc.accepted_kg)), (_("Refused"), _kg(unit=kg_unit, value=doc.refused_kg)),
        (_("Reason for refusal"), doc.refusal_reason or "—"), (_("Accepted at"), _when(doc.accepted_at)),
        (_("Operation carried out"), doc.operation_done or "—"),
    ])

    pdf.section(_("Electronic signatures"))
    stored = signing.signatures_for(db, service.DOCUMENT_TYPE, doc.number)
    pdf.set_font("DejaVu", "", 8)
    if not stored:
        pdf.cell(0, 6, _("Not signed yet."), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_draw_color(*RULE)
        with pdf.table(col_widths=(44, 46, 36, 28, 26), line_height=4.6, text_align="LEFT", padding=(1, 1.5), borders_layout="HORIZONTAL_LINES",
                       headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL)) as table:
            table.row([_("Action"), _("Signer"), _("Signed at"), _("Algorithm"), _("Certificate")])
            for sig in stored:
                user = db.get(User, sig.signer_user_id)
                table.row([_(ACTION_LABELS.get(sig.action, sig.action)), user.full_name if user else "—", _when(sig.signed_at), sig.algorithm,
                           sig.certificate_fingerprint[:12] + "…"])

    version = service.current_version(db, doc)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, _("This is a copy of an electronic document. Its signatures are valid only as verified online: scan the QR code or open {url}.",
                           url=verification_url(doc.number)) + f"\n{_('Version')} {doc.version} · SHA-256 {version.sha256 if version else '—'}")
    return bytes(pdf.output())
