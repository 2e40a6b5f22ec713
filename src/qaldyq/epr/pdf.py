"""The certificate of payment (СВУП) as a PDF in Kazakh and Russian with a QR code pointing to the
public verification page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from qaldyq.core.i18n import N_, translate

FONTS = Path(__file__).resolve().parents[1] / "web" / "static" / "fonts"
TITLE = N_("Certificate of payment of the utilization payment")
FIELDS = (
    ("number", N_("Certificate number")),
    ("status", N_("Status")),
    ("issued_on", N_("Issued on")),
    ("payer", N_("Payer")),
    ("period", N_("Period")),
    ("subject", N_("Subject")),
    ("amount_kzt", N_("Amount paid, tenge")),
)


def _values(info: dict[str, Any], locale: str) -> dict[str, str]:
    if info["kind"] == "vehicle":
        v = info["vehicle"]
        subject = translate(locale, N_("Vehicle VIN {vin}, category {category}"), vin=v["vin"], category=v["category"])
    else:
        subject = "; ".join(f"{p['category']}: {p['mass_kg']} kg" for p in info["products"])
    status = translate(locale, N_("valid") if info["valid"] else N_("cancelled"))
    return {"number": info["number"], "status": status, "issued_on": info["issued_on"], "payer": f"{info['payer']['name']} (BIN {info['payer']['bin']})",
            "period": f"{info['period']['from']} — {info['period']['to']}", "subject": subject, "amount_kzt": info["amount_kzt"]}


def certificate_pdf(info: dict[str, Any], verify_url: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    pdf.image(qr, x=160, y=12, w=36)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(140, 5, translate("kk", "EPR operator") + " / " + translate("ru", "EPR operator"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for locale in ("kk", "ru"):
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(140, 7, translate(locale, TITLE), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        values = _values(info, locale)
        for key, label in FIELDS:
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(55, 6, translate(locale, label))
            pdf.set_font("DejaVu", "", 9)
            pdf.multi_cell(0, 6, values[key], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 5, translate("kk", N_("Verify this certificate at")) + " / " + translate("ru", N_("Verify this certificate at")) + ": " + verify_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
