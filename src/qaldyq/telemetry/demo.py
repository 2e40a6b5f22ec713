"""Demo: yesterday's day of work (Asia/Almaty) for the registry's demo trucks, with a few
injected stops in the steppe that become suspected-dumping alerts. The points go through the
same ingest as the API (so jumps, duplicates and alerts are handled the same way).

Uses the vehicles and sites that the registry demo created; if there are none (the telemetry
domain seeded alone), a small fleet in Astana is made here so the map is never empty."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.database import utcnow
from qaldyq.registry.models import Organization, OrganizationRole, Site, Vehicle
from qaldyq.telemetry import service
from qaldyq.telemetry.geo import M_PER_DEG_LAT, distance_m

MAX_VEHICLES = 12
EVERY_S = 30


def seed(db: Session, ctx) -> None:
    rng = ctx.rng_for("telemetry")
    vehicles = list(db.scalars(select(Vehicle).where(Vehicle.status == "active").order_by(Vehicle.id).limit(MAX_VEHICLES)))
    sites = list(db.scalars(select(Site).where(Site.status == "active").order_by(Site.id)))
    if not vehicles or len(sites) < 3:
        vehicles, sites = _fallback_fleet(db, ctx)
    site_lat = np.array([s.lat for s in sites])
    site_lon = np.array([s.lon for s in sites])
    by_id = {s.id: i for i, s in enumerate(sites)}
    day = (datetime.now(service.LOCAL_TZ) - timedelta(days=1)).date()
    day_start = datetime.combine(day, time(7, 0), service.LOCAL_TZ).astimezone(timezone.utc)
    items: list[dict] = []
    np_rng = np.random.default_rng(rng.randrange(2**32))
    for n, v in enumerate(vehicles):
        home = by_id.get(v.depot_site_id, rng.randrange(len(sites)))
        near = np.argsort(distance_m(site_lat[home], site_lon[home], site_lat, site_lon))[1:8]
        stops = [int(i) for i in np_rng.choice(near, size=min(5, near.size), replace=False)] if near.size else []
        route = _Route(day_start + timedelta(minutes=rng.randrange(0, 60)), site_lat[home], site_lon[home], np_rng)
        route.dwell(rng.uniform(10, 20))
        dump_at = rng.randrange(1, max(2, len(stops))) if n % 3 == 0 else -1  # every third truck stops in the steppe once
        for k, i in enumerate(stops):
            if k == dump_at:
                la, lo = _off_site(route.lat[-1], route.lon[-1], site_lat, site_lon, rng)
                route.drive(la, lo, rng.uniform(35, 55))
                route.dwell(rng.uniform(22, 35))
            route.drive(site_lat[i], site_lon[i], rng.uniform(25, 50))
            route.dwell(rng.uniform(8, 25))
        route.drive(site_lat[home], site_lon[home], 40)
        route.dwell(15)
        ident = {"tracker_id": v.tracker_id} if v.tracker_id else {"plate": v.plate}
        for t, la, lo in zip(route.t, route.lat, route.lon):
            items.append({**ident, "time": t.isoformat(), "lat": round(la, 6), "lon": round(lo, 6)})
    alerts: list[str] = []
    for i in range(0, len(items), 10_000):
        res = service.ingest(db, None, items[i:i + 10_000], now=utcnow())
        alerts += res.alerts
    ctx.shared["telemetry"] = {"day": day.isoformat(), "vehicles": [v.id for v in vehicles], "alerts": sorted(set(alerts)), "points": len(items)}


class _Route:
    def __init__(self, start: datetime, lat: float, lon: float, rng):
        self.t, self.lat, self.lon, self.rng = [start], [float(lat)], [float(lon)], rng

    def dwell(self, minutes: float) -> None:
        la, lo = self.lat[-1], self.lon[-1]
        for _ in range(int(minutes * 60 / EVERY_S)):
            dy, dx = self.rng.normal(0, 3.0, 2)
            self._add(la + dy / M_PER_DEG_LAT, lo + dx / (M_PER_DEG_LAT * np.cos(np.radians(la))))
        self.lat[-1], self.lon[-1] = la, lo

    def drive(self, lat: float, lon: float, kmh: float) -> None:
        la0, lo0 = self.lat[-1], self.lon[-1]
        metres = float(distance_m(la0, lo0, lat, lon))
        steps = max(1, int(metres / (kmh / 3.6) / EVERY_S))
        for k in range(1, steps + 1):
            f = k / steps
            self._add(la0 + (lat - la0) * f, lo0 + (lon - lo0) * f)

    def _add(self, lat: float, lon: float) -> None:
        self.t.append(self.t[-1] + timedelta(seconds=EVERY_S))
        self.lat.append(float(lat))
        self.lon.append(float(lon))


def _off_site(lat, lon, site_lat, site_lon, rng) -> tuple[float, float]:
    """A place 3-6 km away and at least 2 km from every site: the steppe."""
    for _ in range(50):
        ang, km = rng.uniform(0, 2 * np.pi), rng.uniform(3, 6)
        la = lat + km * 1000 * np.cos(ang) / M_PER_DEG_LAT
        lo = lon + km * 1000 * np.sin(ang) / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
        if distance_m(la, lo, site_lat, site_lon).min() > 2000:
            return la, lo
    return la, lo


def _fallback_fleet(db: Session, ctx) -> tuple[list[Vehicle], list[Site]]:
    from qaldyq.core import service as core_service
    from qaldyq.registry.bin import complete_bin

    def org(n: int, name: str, roles: tuple[str, ...]) -> Organization:
        o = Organization(bin=complete_bin(f"2405400{n:04d}") or complete_bin(f"2405400{n + 1:04d}"), name_kk=name, name_ru=name,
                         legal_form="llp", region_kato="710000000")
        o.roles = [OrganizationRole(role=r) for r in roles]
        db.add(o)
        db.flush()
        return o

    carrier = org(8101, "ТОО «Таза Жол Астана»", ("carrier",))
    owner = org(8103, "ГКП «Астана Тазалық»", ("landfill_operator",))
    places = [("Автобаза «Таза Жол»", "depot", 51.1050, 71.3650, 150, carrier), ("Полигон ТБО г. Астаны", "landfill", 51.0480, 71.5420, 500, owner),
              ("ТРЦ «Хан Шатыр»", "generator", 51.1322, 71.4034, 120, owner), ("Рынок «Шапагат»", "generator", 51.1650, 71.4650, 120, owner),
              ("Сортировочный комплекс", "sorting", 51.0910, 71.5010, 200, owner), ("Больница №1", "generator", 51.1560, 71.4210, 100, owner),
              ("ЖК «Северное сияние»", "generator", 51.1380, 71.4480, 80, owner), ("Вокзал «Нурлы Жол»", "generator", 51.1140, 71.5290, 150, owner)]
    sites = []
    for name, kind, la, lo, r, o in places:
        s = Site(organization_id=o.id, name=name, site_type=kind, region_kato="710000000", settlement="Астана", lat=la, lon=lo, geofence_radius_m=r,
                 permitted_operations=[], permitted_waste_codes=[])
        db.add(s)
        sites.append(s)
    db.flush()
    vehicles = []
    for i in range(6):
        v = Vehicle(plate=f"{810 + i:03d}TZA01", organization_id=carrier.id, vehicle_type="garbage_truck", payload_kg=9000,
                    tracker_id=f"GLN-81{i:04d}", depot_site_id=sites[0].id)
        db.add(v)
        vehicles.append(v)
    db.flush()
    inspection = org(8105, "Департамент экологии по г. Астане", ("inspection",))
    for username, role, o in (("tz.dispatcher", "org_admin", carrier), ("astana.inspector", "inspector", inspection)):
        if core_service.user_by_name(db, username) is None:
            core_service.create_user(db, username=username, password=ctx.password, full_name=username, organization_id=o.id, role=role)
            ctx.logins.append({"username": username, "role": role, "organization": o.name_ru})
    return vehicles, sites
