"""Reports turned into the three audiences' views (official, reporter, public)."""

from __future__ import annotations

from qaldyq.citizens import service
from qaldyq.citizens.directory import organization_ref
from qaldyq.citizens.models import Report, ReportEvent, ReportPhoto
from qaldyq.citizens.places import region_name
from qaldyq.citizens.schemas import ActionOut, EventOut, PhotoOut, PublicReport, ReportOut, ReportRow, ReporterView
from qaldyq.citizens.workflow import EVENT_LABELS, STATUS_LABELS, Status
from qaldyq.core.auth import Principal
from qaldyq.core.i18n import translate

API = "/api/v1/citizens"


def photo_out(photo: ReportPhoto, base: str) -> PhotoOut:
    url = f"{base}/photos/{photo.id}"
    return PhotoOut(id=photo.id, stage=photo.stage, width=photo.width, height=photo.height, size=photo.size, hidden=photo.hidden,
                    url=url, thumb_url=f"{url}?thumb=1")


def event_out(ev: ReportEvent, locale: str, for_reporter: bool = False) -> EventOut:
    return EventOut(at=ev.at, event=ev.event, event_label=translate(locale, EVENT_LABELS.get(ev.event, ev.event)), from_status=ev.from_status,
                    to_status=ev.to_status, organization=ev.actor_org_name, note=ev.note, reason_code=ev.reason_code,
                    scheduled_for=ev.scheduled_for, region_kato=ev.region_kato)


def routed_to(db, report: Report, locale: str) -> str | None:
    org = organization_ref(db, report.akimat_org_id)
    return org.name(locale) if org else None


def official(db, principal: Principal, report: Report, locale: str) -> ReportOut:
    base = f"{API}/reports/{report.number}"
    return ReportOut(
        id=report.id, number=report.number, kind=report.kind, status=report.status, lat=report.lat, lon=report.lon,
        region_kato=report.region_kato, region_source=report.region_source, akimat_org_id=report.akimat_org_id,
        routed_to=routed_to(db, report, locale), description=report.description, contact=report.contact, channel=report.channel,
        locale=report.locale, created_at=report.created_at, updated_at=report.updated_at, scheduled_for=report.scheduled_for,
        closed_at=report.closed_at, reject_code=report.reject_code,
        photos=[photo_out(p, base) for p in report.photos], history=[event_out(e, locale) for e in report.events],
        actions=[ActionOut(event=t.event, label=translate(locale, t.label), next_status=t.next.value, fields=list(t.fields))
                 for t in service.allowed(principal, report)],
    )


def row(report: Report) -> ReportRow:
    return ReportRow(id=report.id, number=report.number, kind=report.kind, status=report.status, region_kato=report.region_kato,
                     created_at=report.created_at, scheduled_for=report.scheduled_for, photos=len(report.photos))


def reporter(db, report: Report, token: str, locale: str) -> ReporterView:
    base = f"{API}/private/{token}"
    return ReporterView(
        number=report.number, kind=report.kind, status=report.status, status_label=translate(locale, STATUS_LABELS[Status(report.status)]),
        region_kato=report.region_kato, region_name=region_name(report.region_kato, locale), lat=report.lat, lon=report.lon,
        description=report.description, created_at=report.created_at, scheduled_for=report.scheduled_for,
        routed_to=routed_to(db, report, locale), photos=[photo_out(p, base) for p in report.photos],
        history=[event_out(e, locale, for_reporter=True) for e in report.events],
    )


def public(report: Report) -> PublicReport:
    return PublicReport(
        number=report.number, kind=report.kind, status=report.status, region_kato=report.region_kato,
        lat=service.rounded(report.lat), lon=service.rounded(report.lon), reported_on=service.local_date(report.created_at),
        updated_on=service.local_date(report.updated_at), scheduled_for=report.scheduled_for,
        photo_urls=[f"{API}/public/photos/{p.id}" for p in report.photos if service.photo_is_public(report, p)],
    )


def geojson(reports: list[Report]) -> dict:
    features = []
    for r in reports:
        p = public(r)
        props = p.model_dump(mode="json", exclude={"lat", "lon"})
        features.append({"type": "Feature", "id": p.number, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]}, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def points_geojson(points) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f"site-{p.id}", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
         "properties": {"site_id": p.id, "name": p.name, "region_kato": p.region_kato, "settlement": p.settlement, "address": p.address,
                        "operator": p.operator}}
        for p in points]}
