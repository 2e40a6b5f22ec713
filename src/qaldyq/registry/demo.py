"""Demo registries: the Ministry, the National Center for Waste Management, an akimat per region,
a few hundred organizations with valid BINs holding every role in every region, their sites near
the regional centres, vehicles with GPS trackers and depots, weighing instruments with
verification certificates (some expired), and a demo login for every user role.

Deterministic: everything is drawn from `ctx.rng_for("registry")`; dates are relative to the day
the demo is loaded (so some certificates are always expired and most are in force).

`ctx.shared["registry"]` (for the domains seeded after this one):

    today              date the certificate dates are relative to
    ministry_id        the authorized body (Ministry of Ecology and Natural Resources)
    operator_id        the National Center for Waste Management (EPR operator, runs the system)
    inspectorate_id    the ecology department for Astana (the demo inspector's organization)
    akimat_ids         {kato: organization id} of every region's akimat
    key                {"collector", "recycler", "landfill", "producer", "generator": organization id}:
                       the organizations of the demo logins, all in Astana, so that a chain
                       generator -> collector -> recycler / landfill can be demonstrated
    key_sites          {"generator", "collector_depot", "collector_point", "transfer_station",
                        "recycling", "landfill", "producer_plant", "producer_warehouse": site id}
    orgs_by_role       {role: [organization ids]} (every organization holding the role)
    orgs_by_region     {kato: [organization ids]} (registered there; state bodies included)
    sites_by_type      {site type: {kato: [site ids]}}
    vehicles           [{"id", "plate", "tracker_id", "organization_id", "depot_site_id", "payload_kg",
                         "region_kato"}]
    instruments        [{"id", "site_id", "organization_id", "serial_number", "verified": bool
                         (a certificate is in force today)}]
    users              {username: user id}
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from qaldyq.core.demo import DemoContext
from qaldyq.core.service import create_user
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.geo import inside_kazakhstan
from qaldyq.registry.models import Organization, OrganizationRole, Site, Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.registry.regions import CENTRES, PLATE_CODES, REGIONS

ASTANA = "710000000"
ALMATY_REGION = "190000000"

# Legal form -> (Russian pattern, Kazakh pattern) around the brand name.
FORM_NAMES = {
    "llp": ("ТОО «{}»", "«{}» ЖШС"),
    "jsc": ("АО «{}»", "«{}» АҚ"),
    "state_enterprise": ("ГКП на ПХВ «{}»", "«{}» ШЖҚ МКК"),
    "entrepreneur": ("ИП «{}»", "«{}» ЖК"),
    "cooperative": ("ПК «{}»", "«{}» ӨК"),
}

# What each kind of organization is called, holds, owns and drives. Brands are word pairs.
PROFILES: dict[str, dict[str, Any]] = {
    "waste_generator": {
        "brands": ["Құрылыс Сервис", "Агро Өнім", "Алтын Дән", "Смарт Ритейл", "Қонақ Үй", "Дала Нан", "Сауда Орталығы", "Жылу Энерго", "Мега Строй", "Береке Маркет"],
        "roles": [("waste_generator",)], "forms": ["llp", "llp", "jsc", "entrepreneur"],
        "sites": [("generator", 1)],
    },
    "hazardous_waste_generator": {
        "brands": ["Қазмұнай Сервис", "Металлург", "Химпром", "Энергоорталық", "Кен Байыту", "Мұнай Газ Құрылыс", "Цинк Өндірісі", "Автопарк Сервис", "Медицина Орталығы", "Ферро Қорытпа"],
        "roles": [("hazardous_waste_generator", "waste_generator")], "forms": ["llp", "jsc", "jsc"],
        "sites": [("generator", 1), ("storage", 0.5)],
    },
    "collector": {
        "brands": ["Таза Қала", "ЭкоСервис", "Тазалық", "Чистый Город", "Жасыл Қала", "ЭкоЛайн", "Спецавтобаза", "Коммунсервис", "Клин Сити", "Санитарная очистка"],
        "roles": [("collector", "carrier"), ("collector", "carrier"), ("collector",)], "forms": ["llp", "llp", "state_enterprise"],
        "sites": [("depot", 1), ("collection_point", 1), ("transfer_station", 0.4)], "vehicles": (4, 9),
        "fleet": ["rear_loader", "rear_loader", "side_loader", "front_loader", "hooklift", "skip_loader"],
    },
    "carrier": {
        "brands": ["ЭкоТранс", "ТрансЭко", "Жол Тасымал", "Логистик Ресурс", "АвтоЭкоТранс", "Қалдық Тасымал", "Жүк Экспресс", "Дала Транзит"],
        "roles": [("carrier",)], "forms": ["llp", "entrepreneur"],
        "sites": [("depot", 1)], "vehicles": (2, 6),
        "fleet": ["dump_truck", "hooklift", "tractor_trailer", "vacuum_tanker", "box_truck"],
    },
    "sorter": {
        "brands": ["ЭкоСорт", "СортТех", "Сұрыптау Орталығы", "Ресурс Сортинг", "Таза Ресурс"],
        "roles": [("sorter",), ("sorter", "collector")], "forms": ["llp"],
        "sites": [("sorting", 1)], "vehicles": (0, 2), "fleet": ["hooklift", "box_truck"],
    },
    "recycler": {
        "brands": ["ВторРесурс", "ЭкоПолимер", "Қайта Өңдеу", "Вторчермет", "КазВторМет", "Макулатура Плюс", "ЭкоШина", "ГринТех", "Шыны Өнім", "БатаРекс"],
        "roles": [("recycler",), ("recycler", "collector"), ("recycler", "sorter")], "forms": ["llp", "llp", "jsc"],
        "sites": [("recycling", 1), ("storage", 0.3)], "vehicles": (0, 2), "fleet": ["box_truck", "hooklift"],
    },
    "landfill_operator": {
        "brands": ["Полигон", "Экополигон", "Тазалық Полигон", "Спецполигон", "Қалдық Орны"],
        "roles": [("landfill_operator",)], "forms": ["llp", "state_enterprise"],
        "sites": [("landfill", 1)], "vehicles": (0, 1), "fleet": ["dump_truck"],
    },
    "producer": {
        "brands": ["Қазақ Сусындары", "Дала Сүт", "КазПак", "Евразия Продукт", "Азия Электроникс", "Бал Тамшы", "Алатау Пласт", "Арай Қаптама"],
        "roles": [("producer",), ("producer", "importer"), ("producer", "waste_generator")], "forms": ["llp", "jsc"],
        "sites": [("generator", 1), ("storage", 0.5)],
    },
    "importer": {
        "brands": ["Импорт Трейд", "Азия Авто", "Евро Дистрибьюшн", "Техно Импорт", "Мега Трейд", "Шина Центр", "Аккумулятор Плюс"],
        "roles": [("importer",)], "forms": ["llp"],
        "sites": [("storage", 1)],
    },
}
# Organizations per region at scale 1.0 (14 x 20 regions = 280, plus the state bodies and the
# demo-login organizations: a few hundred in all).
PER_REGION = ["waste_generator"] * 3 + ["hazardous_waste_generator"] * 2 + ["collector"] * 2 + ["carrier", "sorter", "recycler", "recycler",
                                                                                                 "landfill_operator", "producer", "importer"]

SITE_PROFILES: dict[str, dict[str, Any]] = {
    "generator": {"names": ["Производственная площадка", "Цех", "Торговый объект", "Строительный объект", "Котельная"],
                  "ops": ["accumulation"], "codes": [["20 03 01"], ["17 01", "17 09 04"], ["15 01", "20 03 01"], ["10 01 01", "20 03 01"]], "cap": None},
    "hazardous": {"codes": [["13 02 05*", "16 06 01*", "15 02 02*"], ["16 06 01*", "20 01 21*"], ["18 01 03*", "18 01 04"], ["11 01 05*", "19 02 05*"]]},
    "collection_point": {"names": ["Пункт приёма вторсырья", "Экопункт", "Пункт сбора"], "ops": ["accumulation", "collection"],
                         "codes": [["15 01", "20 01"], ["20 01 01", "20 01 39", "20 01 40"]], "cap": (300, 3000)},
    "depot": {"names": ["Автобаза", "Гараж", "Производственная база"], "ops": [], "codes": [[]], "cap": None},
    "transfer_station": {"names": ["Мусороперегрузочная станция"], "ops": ["accumulation", "collection", "storage"], "codes": [["20 03 01", "20 03 07"]],
                         "cap": (30_000, 120_000)},
    "sorting": {"names": ["Мусоросортировочный комплекс", "Сортировочная линия"], "ops": ["sorting", "treatment", "storage"],
                "codes": [["15 01", "20 01", "20 03 01"]], "cap": (20_000, 150_000)},
    "recycling": {"names": ["Завод по переработке", "Цех переработки", "Перерабатывающий комплекс"], "ops": ["recycling", "treatment", "storage"],
                  "codes": [["15 01 02", "20 01 39"], ["15 01 01", "20 01 01"], ["17 04", "20 01 40"], ["16 01 03"], ["15 01 07", "20 01 02"],
                            ["16 06 01*", "20 01 33*"], ["20 01 35*", "20 01 36", "16 02"]], "cap": (2_000, 60_000)},
    "storage": {"names": ["Склад", "Площадка временного хранения", "Складской комплекс"], "ops": ["storage", "accumulation"],
                "codes": [["15 01"], ["16 01 03", "16 06 01*"]], "cap": (100, 5_000)},
    "landfill": {"names": ["Полигон ТБО", "Полигон твёрдых бытовых отходов", "Полигон промышленных отходов"], "ops": ["landfilling"],
                 "codes": [["20 03", "17 01", "19 12 12"]], "cap": (50_000, 400_000)},
}
STREETS = ["ул. Абая", "пр. Назарбаева", "ул. Кунаева", "ул. Сатпаева", "ул. Толе би", "ул. Промышленная", "ул. Жибек жолы", "пр. Республики",
           "ул. Байтурсынова", "ул. Иманова", "ул. Ауэзова", "Промзона", "ул. Карасай батыра", "ул. Гагарина"]
PAYLOAD = {"rear_loader": (6_000, 12_000), "side_loader": (8_000, 11_000), "front_loader": (10_000, 14_000), "hooklift": (10_000, 20_000),
           "skip_loader": (5_000, 8_000), "vacuum_tanker": (8_000, 15_000), "dump_truck": (15_000, 25_000), "box_truck": (3_000, 8_000),
           "tractor_trailer": (20_000, 30_000)}
PLATE_LETTERS = "ABCDEHKMOPTXYZ"
ISSUERS = ["РГП «Казахстанский институт метрологии»", "АО «Национальный центр экспертизы и сертификации»", "ТОО «Метрологический центр»"]
SCALES = [("Весы автомобильные электронные", "truck_scale", 60_000), ("Весы автомобильные ВА-80", "truck_scale", 80_000),
          ("Весы подкладные осевые", "axle_scale", 30_000), ("Весы платформенные", "platform_scale", 3_000), ("Весы крановые", "crane_scale", 10_000)]
WEIGHED = {"landfill", "sorting", "recycling", "transfer_station", "collection_point"}


def _akimat_names(kato: str, kk: str, ru: str) -> tuple[str, str]:
    cities_ru = {"710000000": "города Астаны", "750000000": "города Алматы", "790000000": "города Шымкента"}
    if kato in cities_ru:
        genitive = cities_ru[kato]
    elif ru.startswith("Область "):
        genitive = "области " + ru.removeprefix("Область ")
    else:
        genitive = ru.replace("ская область", "ской области")
    return f"{kk}ның әкімдігі", f"Акимат {genitive}"


class _Builder:
    def __init__(self, db: Session, ctx: DemoContext):
        self.db, self.ctx = db, ctx
        self.rng: random.Random = ctx.rng_for("registry")
        self.today = date.today()
        self.bins: set[str] = set()
        self.plates: set[str] = set()
        self.trackers: set[str] = set()
        self.orgs: list[Organization] = []
        self.sites: list[Site] = []
        self.vehicles: list[Vehicle] = []
        self.instruments: list[WeighingInstrument] = []
        self.serial = 0
        self.brands: set[tuple[str, str]] = set()
        self.cert_no = 0

    # identifiers -------------------------------------------------------------------------------
    def bin(self) -> str:
        """YYMM of registration, 4 (resident legal entity), 0 (head office), 5-digit serial, check digit."""
        while True:
            yymm = f"{self.rng.randint(0, 24):02d}{self.rng.randint(1, 12):02d}"
            value = complete_bin(f"{yymm}40{self.rng.randint(0, 99999):05d}")
            if value and value not in self.bins:
                self.bins.add(value)
                return value

    def plate(self, kato: str) -> str:
        while True:
            value = f"{self.rng.randint(100, 999)}{''.join(self.rng.choice(PLATE_LETTERS) for _ in range(2))}{PLATE_CODES[kato]}"
            if value not in self.plates:
                self.plates.add(value)
                return value

    def tracker(self) -> str:
        while True:  # 15 digits, as the IMEI most trackers report
            value = "86" + "".join(str(self.rng.randint(0, 9)) for _ in range(13))
            if value not in self.trackers:
                self.trackers.add(value)
                return value

    def point(self, kato: str, spread: float) -> tuple[float, float]:
        lat0, lon0 = next(r[5] for r in REGIONS if r[0] == kato)
        while True:
            lat = round(lat0 + self.rng.uniform(-spread, spread), 6)
            lon = round(lon0 + self.rng.uniform(-spread, spread) * 1.4, 6)
            if inside_kazakhstan(lat, lon):
                return lat, lon

    def address(self, kato: str) -> str:
        return f"г. {CENTRES[kato][0]}, {self.rng.choice(STREETS)}, {self.rng.randint(1, 240)}"

    def phone(self) -> str:
        return f"+77{self.rng.choice(['01', '02', '05', '07', '08', '47', '71', '75', '77'])}{self.rng.randint(1_000_000, 9_999_999)}"

    # records -----------------------------------------------------------------------------------
    def org(self, kato: str, roles: tuple[str, ...], ru: str, kk: str, legal_form: str, **kw) -> Organization:
        org = Organization(bin=self.bin(), name_kk=kk, name_ru=ru, legal_form=legal_form, region_kato=kato, address=kw.pop("address", self.address(kato)),
                           phone=kw.pop("phone", self.phone()), **kw)
        org.roles = [OrganizationRole(role=r) for r in roles]
        self.db.add(org)
        self.orgs.append(org)
        return org

    def branded(self, kato: str, kind: str, brand: str | None = None, roles: tuple[str, ...] | None = None) -> Organization:
        prof = PROFILES[kind]
        if brand is None:  # a brand not yet used in this region
            unused = [x for x in prof["brands"] if (x, kato) not in self.brands] or prof["brands"]
            brand = self.rng.choice(unused)
            self.brands.add((brand, kato))
            brand = f"{brand} {CENTRES[kato][0]}"
        form = self.rng.choice(prof["forms"])
        ru_pat, kk_pat = FORM_NAMES[form]
        kk_brand = brand.replace(CENTRES[kato][0], CENTRES[kato][1])
        roles = roles or self.rng.choice(prof["roles"])
        licence = f"KZ{self.rng.randint(10, 99)}VCZ{self.rng.randint(10000, 99999)}" if "hazardous_waste_generator" in roles or (
            kind in ("collector", "recycler", "landfill_operator") and self.rng.random() < 0.4) else None
        org = self.org(kato, roles, ru_pat.format(brand), kk_pat.format(kk_brand), form, hazardous_license=licence,
                       email=f"info{len(self.orgs) + 1}@{self.rng.choice(['mail.kz', 'inbox.kz', 'gmail.com', 'eco.kz'])}",
                       status="suspended" if self.rng.random() < 0.03 else "active")
        org._demo_kind = kind  # type: ignore[attr-defined]
        return org

    def site(self, org: Organization, site_type: str, kato: str | None = None, name: str | None = None, hazardous: bool = False) -> Site:
        kato = kato or org.region_kato
        prof = SITE_PROFILES[site_type]
        spread = 0.06 if kato in (ASTANA, "750000000", "790000000") else 0.12
        lat, lon = self.point(kato, spread)
        codes = self.rng.choice(SITE_PROFILES["hazardous"]["codes"] if hazardous else prof["codes"])
        cap = prof["cap"]
        site = Site(organization=org, name=name or f"{self.rng.choice(prof['names'])} — {CENTRES[kato][0]}", site_type=site_type, region_kato=kato,
                    settlement=CENTRES[kato][0], address=self.address(kato), lat=lat, lon=lon,
                    geofence_radius_m=400 if site_type == "landfill" else 150, permitted_operations=list(prof["ops"]),
                    permitted_waste_codes=list(codes),
                    design_capacity_t=Decimal(self.rng.randrange(cap[0], cap[1], 100)) if cap else None, status="active")
        self.db.add(site)
        self.sites.append(site)
        return site

    def vehicle(self, org: Organization, vehicle_type: str, depot: Site | None) -> Vehicle:
        lo, hi = PAYLOAD.get(vehicle_type, (3_000, 10_000))
        v = Vehicle(plate=self.plate(org.region_kato), organization=org, vehicle_type=vehicle_type, payload_kg=self.rng.randrange(lo, hi + 1, 500),
                    tracker_id=self.tracker() if self.rng.random() < 0.9 else None, depot_site_id=None,
                    hazardous_equipped=vehicle_type == "vacuum_tanker" or self.rng.random() < 0.1,
                    status="repair" if self.rng.random() < 0.05 else "active")
        v._depot = depot  # type: ignore[attr-defined]
        self.db.add(v)
        self.vehicles.append(v)
        return v

    def instrument(self, site: Site, kind: tuple[str, str, int] | None = None, state: str | None = None) -> WeighingInstrument:
        name, itype, load = kind or self.rng.choice(SCALES[:3] if site.site_type != "collection_point" else SCALES[3:4])
        self.serial += 1
        inst = WeighingInstrument(site=site, name=name, instrument_type=itype, serial_number=f"{itype[:2].upper()}{self.rng.randint(10, 99)}-{self.serial:05d}",
                                  year_made=self.rng.randint(2008, self.today.year - 1), max_load_kg=load, status="active")
        inst._state = state or self.rng.choices(["valid", "expiring", "expired", "none"], [78, 6, 13, 3])[0]  # type: ignore[attr-defined]
        self.db.add(inst)
        self.instruments.append(inst)
        return inst

    def certificates(self, inst: WeighingInstrument) -> None:
        """A yearly chain of certificates ending in the state drawn for the instrument."""
        state = inst._state  # type: ignore[attr-defined]
        if state == "none":
            return
        last_from = {"valid": self.today - timedelta(days=self.rng.randint(0, 300)),
                     "expiring": self.today - timedelta(days=self.rng.randint(340, 360)),
                     "expired": self.today - timedelta(days=self.rng.randint(380, 700))}[state]
        for k in range(self.rng.randint(1, 3)):
            start = last_from - timedelta(days=365 * (k))
            if start.year < inst.year_made:
                break
            self.cert_no += 1
            self.db.add(VerificationCertificate(instrument_id=inst.id, number=f"ВС-{start.year}-{self.cert_no:06d}", issuer=self.rng.choice(ISSUERS),
                                                valid_from=start, valid_to=start + timedelta(days=364)))


def seed(db: Session, ctx: DemoContext) -> None:
    b = _Builder(db, ctx)
    shared: dict[str, Any] = {"today": b.today, "akimat_ids": {}, "key": {}, "key_sites": {}}

    # State bodies.
    ministry = b.org(ASTANA, ("authorized_body",), "Министерство экологии и природных ресурсов Республики Казахстан",
                     "Қазақстан Республикасы Экология және табиғи ресурстар министрлігі", "state_institution",
                     address="г. Астана, ул. Мангилик Ел, 8, Дом министерств", email="info@ecogeo.gov.kz")
    operator = b.org(ASTANA, ("epr_operator",), "АО «Национальный центр управления отходами»", "«Қалдықтарды басқару жөніндегі ұлттық орталық» АҚ", "jsc",
                     address="г. Астана, пр. Мангилик Ел, 55/20", email="info@ncwm.kz")
    inspectorate = b.org(ASTANA, ("authorized_body",), "Департамент экологии по городу Астане", "Астана қаласы бойынша экология департаменті",
                         "state_institution", email="astana@ecodep.gov.kz")
    akimats = {}
    for kato, _kind, kk, ru, _en, _c in REGIONS:
        a_kk, a_ru = _akimat_names(kato, kk, ru)
        akimats[kato] = b.org(kato, ("akimat",), a_ru, a_kk, "state_institution", email=f"akimat{PLATE_CODES[kato]}@gov.kz")

    # The organizations of the demo logins, in Astana.
    key = {
        "collector": b.branded(ASTANA, "collector", "Таза Астана Сервис", ("collector", "carrier")),
        "recycler": b.branded(ASTANA, "recycler", "ЭкоПолимер Астана", ("recycler", "sorter")),
        "landfill": b.branded(ASTANA, "landfill_operator", "Астана Полигон", ("landfill_operator",)),
        "producer": b.branded(ASTANA, "producer", "Дала Сусындары", ("producer", "importer")),
        "generator": b.branded(ASTANA, "hazardous_waste_generator", "Астана Құрылыс Комбинаты", ("waste_generator", "hazardous_waste_generator")),
    }
    for org in key.values():
        org.status = "active"

    # The market in every region.
    count = max(1, round(len(PER_REGION) * ctx.scale))
    for kato, *_ in REGIONS:
        for i in range(count):
            b.branded(kato, PER_REGION[i % len(PER_REGION)])
    db.flush()

    # Sites.
    key_sites = {
        "generator": b.site(key["generator"], "generator", name="Домостроительный комбинат, цех №1", hazardous=True),
        "collector_depot": b.site(key["collector"], "depot", name="Автобаза «Таза Астана Сервис»"),
        "collector_point": b.site(key["collector"], "collection_point", name="Экопункт «Сарыарка»"),
        "transfer_station": b.site(key["collector"], "transfer_station", name="Мусороперегрузочная станция «Астана-Север»"),
        "recycling": b.site(key["recycler"], "recycling", name="Завод по переработке пластика и макулатуры"),
        "landfill": b.site(key["landfill"], "landfill", name="Полигон ТБО города Астаны"),
        "producer_plant": b.site(key["producer"], "generator", name="Завод напитков «Дала Сусындары»"),
        "producer_warehouse": b.site(key["producer"], "storage", name="Склад готовой продукции"),
    }
    key_sites["generator"].permitted_waste_codes = ["17 01 01", "17 09 04", "13 02 05*", "15 01 10*"]
    key_sites["recycling"].permitted_waste_codes = ["15 01 01", "15 01 02", "20 01 01", "20 01 39"]
    key_ids = {id(o) for o in key.values()}
    for org in b.orgs:
        kind = getattr(org, "_demo_kind", None)
        if kind is None or id(org) in key_ids:
            continue
        for site_type, share in PROFILES[kind]["sites"]:
            if share >= 1 or b.rng.random() < share:
                b.site(org, site_type, hazardous=kind == "hazardous_waste_generator" and site_type in ("generator", "storage"))
        # Some generators also operate in a neighbouring region (a national company's branch site).
        if kind in ("hazardous_waste_generator", "producer") and b.rng.random() < 0.25:
            other = b.rng.choice([r[0] for r in REGIONS if r[0] != org.region_kato])
            b.site(org, "generator", kato=other, hazardous=kind == "hazardous_waste_generator")
    db.flush()

    # Vehicles, based at their owner's depot (or its first site).
    sites_of: dict[int, list[Site]] = defaultdict(list)
    for s in b.sites:
        sites_of[s.organization_id].append(s)
    for org in b.orgs:
        kind = getattr(org, "_demo_kind", None)
        if kind is None or "vehicles" not in PROFILES[kind]:
            continue
        lo, hi = PROFILES[kind]["vehicles"]
        n = 6 if org is key["collector"] else b.rng.randint(lo, hi)
        depots = [s for s in sites_of[org.id] if s.site_type == "depot"] or sites_of[org.id][:1]
        for _ in range(n):
            b.vehicle(org, b.rng.choice(PROFILES[kind]["fleet"]), depots[0] if depots else None)
    for v in b.vehicles:
        v.depot_site_id = v._depot.id if v._depot is not None else None  # type: ignore[attr-defined]

    # Weighing instruments where waste is received and weighed.
    for s in b.sites:
        if s.site_type not in WEIGHED or s.organization in key.values():
            continue
        if s.site_type == "collection_point" and b.rng.random() < 0.6:
            continue
        b.instrument(s)
        if s.site_type == "landfill" and b.rng.random() < 0.5:
            b.instrument(s)
    b.instrument(key_sites["transfer_station"], SCALES[0], "valid")
    b.instrument(key_sites["recycling"], SCALES[1], "valid")
    b.instrument(key_sites["recycling"], SCALES[3], "expired")
    b.instrument(key_sites["landfill"], SCALES[1], "valid")
    b.instrument(key_sites["landfill"], SCALES[2], "expiring")
    db.flush()
    for inst in b.instruments:
        b.certificates(inst)
    db.flush()

    # Demo logins: one per user role, and an administrator and a user for each key organization.
    logins = [
        ("demo.admin", "admin", operator, "Айгерім Сейітова"),
        ("demo.authority", "authority", ministry, "Ерлан Жұмабаев"),
        ("demo.operator", "operator", operator, "Дана Ахметова"),
        ("demo.akimat.astana", "akimat", akimats[ASTANA], "Нұрлан Қасымов"),
        ("demo.akimat.almaty-region", "akimat", akimats[ALMATY_REGION], "Әсел Омарова"),
        ("demo.inspector", "inspector", inspectorate, "Бауыржан Тоқтаров"),
        ("demo.collector", "org_admin", key["collector"], "Сергей Ким"),
        ("demo.collector.user", "org_user", key["collector"], "Мадина Серікова"),
        ("demo.recycler", "org_admin", key["recycler"], "Алия Нұрланова"),
        ("demo.recycler.user", "org_user", key["recycler"], "Дмитрий Попов"),
        ("demo.landfill", "org_admin", key["landfill"], "Ғалым Сәрсенов"),
        ("demo.landfill.user", "org_user", key["landfill"], "Жанар Бекова"),
        ("demo.producer", "org_admin", key["producer"], "Арман Исаев"),
        ("demo.producer.user", "org_user", key["producer"], "Елена Смагулова"),
        ("demo.generator", "org_admin", key["generator"], "Қайрат Әлиев"),
        ("demo.generator.user", "org_user", key["generator"], "Гүлнар Мұратова"),
    ]
    users = {}
    for username, role, org, full_name in logins:
        user = create_user(db, username=username, password=ctx.password, full_name=full_name, organization_id=org.id, role=role)
        users[username] = user.id
        ctx.logins.append({"username": username, "role": role, "organization": org.name_ru})

    by_role: dict[str, list[int]] = defaultdict(list)
    by_region: dict[str, list[int]] = defaultdict(list)
    for org in b.orgs:
        for r in org.role_names:
            by_role[r].append(org.id)
        by_region[org.region_kato].append(org.id)
    by_type: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for s in b.sites:
        by_type[s.site_type][s.region_kato].append(s.id)
    shared.update({
        "ministry_id": ministry.id, "operator_id": operator.id, "inspectorate_id": inspectorate.id,
        "akimat_ids": {k: o.id for k, o in akimats.items()},
        "key": {k: o.id for k, o in key.items()}, "key_sites": {k: s.id for k, s in key_sites.items()},
        "orgs_by_role": dict(by_role), "orgs_by_region": dict(by_region),
        "sites_by_type": {t: dict(r) for t, r in by_type.items()},
        "vehicles": [{"id": v.id, "plate": v.plate, "tracker_id": v.tracker_id, "organization_id": v.organization_id, "depot_site_id": v.depot_site_id,
                      "payload_kg": v.payload_kg, "region_kato": v.organization.region_kato} for v in b.vehicles],
        "instruments": [{"id": i.id, "site_id": i.site_id, "organization_id": i.site.organization_id, "serial_number": i.serial_number,
                         "verified": i._state in ("valid", "expiring")} for i in b.instruments],  # type: ignore[attr-defined]
        "users": users,
    })
    ctx.shared["registry"] = shared
