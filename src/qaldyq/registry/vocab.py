"""The fixed lists of the registries, as data: code -> English label (translated where shown).

Codes are stored in the database and used in the API; labels are message ids. Adding an entry
here is enough for the API (enums), the forms, the filters and the exports to offer it.
"""

from __future__ import annotations

from enum import StrEnum

from qaldyq.core.i18n import N_


def _enum(name: str, labels: dict[str, str]) -> type[StrEnum]:
    return StrEnum(name, {code.upper(): code for code in labels})  # type: ignore[return-value]


ORG_ROLES: dict[str, str] = {
    "waste_generator": N_("Waste generator"),
    "hazardous_waste_generator": N_("Hazardous waste generator"),
    "collector": N_("Waste collector"),
    "carrier": N_("Waste carrier"),
    "sorter": N_("Sorting"),
    "recycler": N_("Recycler"),
    "landfill_operator": N_("Landfill operator"),
    "producer": N_("Producer (EPR)"),
    "importer": N_("Importer (EPR)"),
    "epr_operator": N_("EPR operator"),
    "authorized_body": N_("Authorized body"),
    "akimat": N_("Akimat"),
}
OrgRole = _enum("OrgRole", ORG_ROLES)

# The registry of special organizations performing waste management operations (Concept 2026-2030,
# Direction 1, tasks 4-5) is the set of organizations holding any of these roles.
WASTE_MANAGEMENT_ROLES: tuple[str, ...] = ("collector", "carrier", "sorter", "recycler", "landfill_operator")
# The registry of hazardous waste generators (excluding municipal waste).
HAZARDOUS_GENERATOR_ROLE = "hazardous_waste_generator"
# Roles of state bodies: only the administrator and the authorized body may grant them.
STATE_ROLES: frozenset[str] = frozenset({"epr_operator", "authorized_body", "akimat"})

LEGAL_FORMS: dict[str, str] = {
    "llp": N_("Limited liability partnership (LLP)"),
    "jsc": N_("Joint-stock company (JSC)"),
    "ncjsc": N_("Non-commercial joint-stock company (NJSC)"),
    "state_enterprise": N_("State enterprise"),
    "state_institution": N_("State institution"),
    "entrepreneur": N_("Individual entrepreneur"),
    "cooperative": N_("Production cooperative"),
    "branch": N_("Branch or representative office"),
    "public_association": N_("Public association"),
    "other": N_("Other legal form"),
}
LegalForm = _enum("LegalForm", LEGAL_FORMS)

ORG_STATUSES: dict[str, str] = {
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "liquidated": N_("Liquidated"),
}
OrgStatus = _enum("OrgStatus", ORG_STATUSES)

SITE_TYPES: dict[str, str] = {
    "generator": N_("Generator site"),
    "collection_point": N_("Collection point"),
    "sorting": N_("Sorting facility"),
    "recycling": N_("Recycling facility"),
    "storage": N_("Storage site"),
    "landfill": N_("Landfill"),
    "incineration": N_("Incineration plant"),
    "transfer_station": N_("Transfer station"),
    "depot": N_("Vehicle depot"),
    "other": N_("Other site"),
}
SiteType = _enum("SiteType", SITE_TYPES)

# Waste management operations (Environmental Code of the RK, chapter 24: accumulation, collection,
# transport, recovery, disposal and the auxiliary operations).
OPERATIONS: dict[str, str] = {
    "accumulation": N_("Accumulation"),
    "collection": N_("Collection"),
    "storage": N_("Storage"),
    "sorting": N_("Sorting"),
    "treatment": N_("Treatment (preparation)"),
    "dismantling": N_("Dismantling"),
    "recycling": N_("Recycling"),
    "energy_recovery": N_("Energy recovery"),
    "neutralization": N_("Neutralization"),
    "incineration": N_("Incineration"),
    "landfilling": N_("Landfilling"),
}
Operation = _enum("Operation", OPERATIONS)

SITE_STATUSES: dict[str, str] = {
    "planned": N_("Planned"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "closed": N_("Closed"),
}
SiteStatus = _enum("SiteStatus", SITE_STATUSES)

VEHICLE_TYPES: dict[str, str] = {
    "rear_loader": N_("Rear-loader refuse truck"),
    "side_loader": N_("Side-loader refuse truck"),
    "front_loader": N_("Front-loader refuse truck"),
    "hooklift": N_("Hooklift truck"),
    "skip_loader": N_("Skip loader"),
    "vacuum_tanker": N_("Vacuum tanker"),
    "dump_truck": N_("Dump truck"),
    "box_truck": N_("Box truck"),
    "tractor_trailer": N_("Tractor with trailer"),
    "other": N_("Other vehicle"),
}
VehicleType = _enum("VehicleType", VEHICLE_TYPES)

VEHICLE_STATUSES: dict[str, str] = {
    "active": N_("In service"),
    "repair": N_("Under repair"),
    "decommissioned": N_("Decommissioned"),
}
VehicleStatus = _enum("VehicleStatus", VEHICLE_STATUSES)

INSTRUMENT_TYPES: dict[str, str] = {
    "truck_scale": N_("Truck scale"),
    "axle_scale": N_("Axle scale"),
    "platform_scale": N_("Platform scale"),
    "crane_scale": N_("Crane scale"),
    "onboard_scale": N_("On-board vehicle scale"),
    "bench_scale": N_("Bench scale"),
}
InstrumentType = _enum("InstrumentType", INSTRUMENT_TYPES)

INSTRUMENT_STATUSES: dict[str, str] = {
    "active": N_("In service"),
    "out_of_service": N_("Out of service"),
    "decommissioned": N_("Decommissioned"),
}
InstrumentStatus = _enum("InstrumentStatus", INSTRUMENT_STATUSES)

# The state of an instrument's verification on a day, derived from its certificates.
VERIFICATION_STATES: dict[str, str] = {
    "valid": N_("Verified"),
    "expiring": N_("Verification expires soon"),
    "expired": N_("Verification expired"),
    "none": N_("No verification certificate"),
}
EXPIRING_WITHIN_DAYS = 30

# Upper bounds that catch typos (a payload in grams, a capacity in kilograms) without refusing
# anything real.
MAX_PAYLOAD_KG = 60_000  # the heaviest road trains allowed in the RK carry about this much
MAX_INSTRUMENT_LOAD_KG = 200_000
MAX_CAPACITY_T = 50_000_000
OLDEST_INSTRUMENT_YEAR = 1950
MAX_CERTIFICATE_YEARS = 5  # verification intervals of weighing instruments are 1-2 years

LABELS: dict[str, dict[str, str]] = {
    "role": ORG_ROLES,
    "legal_form": LEGAL_FORMS,
    "org_status": ORG_STATUSES,
    "site_type": SITE_TYPES,
    "operation": OPERATIONS,
    "site_status": SITE_STATUSES,
    "vehicle_type": VEHICLE_TYPES,
    "vehicle_status": VEHICLE_STATUSES,
    "instrument_type": INSTRUMENT_TYPES,
    "instrument_status": INSTRUMENT_STATUSES,
    "verification": VERIFICATION_STATES,
}


def label(kind: str, code: str | None) -> str:
    """The English label (a message id) of a code, or the code itself if unknown."""
    if code is None:
        return ""
    return LABELS[kind].get(code, code)
