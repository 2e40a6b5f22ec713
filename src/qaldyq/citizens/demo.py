"""Demo data: citizen reports in several regions and in every status, routed to the akimats.

Uses the akimat organizations of the registry demo when it ran before; otherwise creates one per
region (and an akimat user), so this seed works on its own. Deterministic (ctx.rng_for)."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from qaldyq.citizens import directory, service
from qaldyq.citizens.schemas import ReportIn
from qaldyq.citizens.workflow import EventInput
from qaldyq.core import service as core_service
from qaldyq.core.auth import principal_for_user
from qaldyq.core.database import utcnow
from qaldyq.core.demo import DemoContext
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.regions import REGIONS

AKIMAT_NAMES = {
    "710000000": ("Астана қаласының әкімдігі", "Акимат города Астаны"),
    "750000000": ("Алматы қаласының әкімдігі", "Акимат города Алматы"),
    "790000000": ("Шымкент қаласының әкімдігі", "Акимат города Шымкента"),
    "350000000": ("Қарағанды облысының әкімдігі", "Акимат Карагандинской области"),
    "550000000": ("Павлодар облысының әкімдігі", "Акимат Павлодарской области"),
    "230000000": ("Атырау облысының әкімдігі", "Акимат Атырауской области"),
}
# region, user-name suffix, a few places (lat, lon, settlement, address) for collection points
DEMO_REGIONS = {
    "710000000": ("astana", [(51.1605, 71.4704, "Астана", "пр. Республики, 34"), (51.0907, 71.4183, "Астана", "ул. Сыганак, 18")]),
    "750000000": ("almaty", [(43.2389, 76.8897, "Алматы", "ул. Толе би, 155"), (43.2220, 76.8512, "Алматы", "мкр. Орбита-1, 12")]),
    "790000000": ("shymkent", [(42.3155, 69.5869, "Шымкент", "пр. Тауке хана, 60")]),
    "350000000": ("karaganda", [(49.8047, 73.1094, "Караганда", "пр. Бухар жырау, 47")]),
    "550000000": ("pavlodar", [(52.2873, 76.9674, "Павлодар", "ул. Ак. Сатпаева, 25")]),
    "230000000": ("atyrau", [(47.0945, 51.9238, "Атырау", "пр. Азаттык, 2")]),
}
DESCRIPTIONS = {
    "illegal_dump": "Строительный мусор и старая мебель за гаражами, примерно два грузовика. Растёт уже месяц.",
    "burning": "Каждый вечер жгут мусор на пустыре у дороги, дым идёт на дома.",
    "overflowing_containers": "Контейнеры на площадке переполнены, мусор не вывозят больше недели.",
    "water_body": "В реке у моста пакеты и пластиковые бутылки, вдоль берега свалка.",
    "other": "Вывоз отходов производится ночью на пустырь без разрешения.",
}
# the path each demo report takes: events fired, days after submission
PLANS = [
    [],
    [("verify", 1)],
    [("verify", 1), ("schedule", 2)],
    [("verify", 1), ("schedule", 2), ("clean", 6)],
    [("reject", 1)],
    [("verify", 2), ("reject", 3)],
]


def _photo(rng, text: str) -> bytes:
    img = Image.new("RGB", (480, 360), (150 + rng.randrange(40), 160 + rng.randrange(40), 120))
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x, y = rng.randrange(40, 440), rng.randrange(150, 330)
        d.ellipse((x - 30, y - 18, x + 30, y + 18), fill=(rng.randrange(60, 120), rng.randrange(50, 90), rng.randrange(30, 70)))
    d.rectangle((0, 0, 480, 28), fill=(0, 74, 115))
    d.text((10, 8), text, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _akimat(db: Session, ctx: DemoContext, kato: str, slug: str, n: int):
    org = directory.akimat_of(db, kato)
    if org is None:
        kk, ru = AKIMAT_NAMES[kato]
        org = directory.demo_akimat(db, kato, kk, ru, complete_bin(f"9{n:02d}14000{n:03d}") or complete_bin(f"9{n:02d}14001{n:03d}"))
    users = directory.users_with_role(db, org.id, "akimat")
    if users:
        user = core_service.user_by_name(db, users[0])
    else:
        user = core_service.create_user(db, username=f"akimat.{slug}", password=ctx.password, full_name=f"Модератор ({slug})",
                                        organization_id=org.id, role="akimat")
        ctx.logins.append({"username": user.username, "role": "akimat", "organization": org.name_ru})
    return org, user


def seed(db: Session, ctx: DemoContext) -> None:
    rng = ctx.rng_for("citizens")
    now = utcnow()
    kinds = list(DESCRIPTIONS)
    points_exist = bool(directory.collection_points(db, limit=1))
    made = []
    for n, (kato, (slug, places)) in enumerate(DEMO_REGIONS.items(), start=1):
        org, user = _akimat(db, ctx, kato, slug, n)
        principal = principal_for_user(user, "cli")
        if not points_exist:
            for i, (lat, lon, settlement, address) in enumerate(places, start=1):
                directory.demo_collection_point(db, org.id, kato, f"Пункт раздельного сбора №{i}", settlement, address, lat, lon)
        centre = next(r[5] for r in REGIONS if r[0] == kato)
        for i in range(5 if kato in ("710000000", "750000000") else 3):
            kind = kinds[rng.randrange(len(kinds))]
            lat, lon = centre[0] + rng.uniform(-0.06, 0.06), centre[1] + rng.uniform(-0.09, 0.09)
            created = now - timedelta(days=rng.randrange(8, 60), hours=rng.randrange(0, 12))
            photos = [service.Upload("/photos/0", _photo(rng, f"{slug} #{i + 1}"))] if rng.random() < 0.6 else []
            inp = ReportIn(kind=kind, lat=round(lat, 5), lon=round(lon, 5), description=DESCRIPTIONS[kind],
                           contact="+7 701 000 00 00" if rng.random() < 0.5 else None)
            report, _token = service.create(db, inp, photos, channel="web" if i % 2 else "api", locale="ru", now=created)
            plan = PLANS[(n + i) % len(PLANS)]
            for event, days in plan:
                at = created + timedelta(days=days)
                args = {}
                if event == "schedule":
                    args["scheduled_for"] = service.local_date(at) + timedelta(days=5)
                if event == "reject":
                    args.update(reason_code="duplicate" if days == 1 else "no_waste_found",
                                reason="При выезде на место свалка не обнаружена / повтор обращения.")
                after = [service.Upload("/photo", _photo(rng, "cleaned"))] if event == "clean" else [None]
                service.fire(db, principal, report.number, event, EventInput(**args), after[0], now=at)
            made.append(report.number)
    ctx.shared["citizens.reports"] = made
