"""The indicators as data: what each measures, where its figure comes from and how it is judged
against its target. The methodology behind each is in docs/cadastre.md."""

from __future__ import annotations

from dataclasses import dataclass

from qaldyq.core.i18n import N_


@dataclass(frozen=True)
class Indicator:
    code: str
    number: str  # as numbered in its act ("1".."5"; "TK" for Taza Kazakhstan)
    name: str  # English message id
    source: str  # "ledger" (computed) or "input" (entered or imported)
    kind: str  # "level": fact is a share; "reduction": fact is the reduction against the baseline year
    regional: bool  # whether a regional figure exists (TOP-50 reports are national only)
    baseline_year: int | None = None


INDICATORS: tuple[Indicator, ...] = (
    Indicator("inventory", "1", N_("Inventory of all waste types except radioactive"), "ledger", "level", True),
    Indicator("landfill_reduction", "2", N_("Reduction of waste sent to municipal landfills against 2025"), "ledger", "reduction", True, 2025),
    Indicator("industrial_reduction", "3", N_("Reduction of industrial waste not brought into secondary turnover against 2025"), "ledger", "reduction", True, 2025),
    Indicator("students", "4", N_("Share of students engaged in environmental events"), "input", "level", True),
    Indicator("top50_reports", "5", N_("Share of TOP-50 companies publishing sustainability reports with waste indicators"), "input", "level", False),
    Indicator("msw_recycling", "TK", N_("Share of recycled municipal waste (Taza Kazakhstan)"), "ledger", "level", True),
)
BY_CODE = {i.code: i for i in INDICATORS}
INPUT_CODES = tuple(i.code for i in INDICATORS if i.source == "input")

# Waste-code classes used by the methodology (chapters of the classifier).
MUNICIPAL_PREFIXES = ("20", "15 01")  # municipal waste and packaging (mostly from households)
INDUSTRIAL_CHAPTERS = tuple(f"{c:02d}" for c in range(1, 15)) + ("16",)  # production waste by origin
LANDFILL_SITE_TYPES = ("landfill",)
