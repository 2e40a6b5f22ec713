"""Carrier legs of transfer documents matched to the vehicles' tracks.

This module works on plain inputs so the transfers domain can wire it in without knowing how
telemetry is stored:

    result = match_legs(track, sites, legs, MatchParams())

* `track`: a `Track` whose vehicle labels are vehicle ids (see `service.load_track`);
* `sites`: a `SiteIndex` of the sites concerned (see `service.site_index`);
* `legs`: `Leg(document, vehicle_id, consignor_site_id, receiver_site_id, pickup_at, receipt_at)`
  with aware datetimes; `receipt_at` None while the waste is on its way.

A leg is *matched* when the vehicle was inside the consignor's geofence at some time within
`tolerance` of pick-up, and inside the receiver's geofence within `tolerance` of receipt, not
before it was at the consignor. Otherwise it is *unmatched* with a reason. A visit of at least
`landfill_min_visit` to a landfill that no leg of that vehicle to that landfill explains is a
*landfill trip without a document*. `service.match_legs_db` does the loading for a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from qaldyq.core.i18n import N_
from qaldyq.telemetry.geofence import LegWindows, SiteIndex
from qaldyq.telemetry.track import Track, join_equal

UNMATCHED_REASONS = {
    "unknown_site": N_("A site of the leg is not in the registry."),
    "no_telemetry": N_("The vehicle sent no positions around the time of the leg."),
    "not_at_consignor": N_("The vehicle was not at the consignor near the pick-up time."),
    "not_at_receiver": N_("The vehicle was not at the receiver near the receipt time."),
}


@dataclass(frozen=True)
class Leg:
    document: str
    vehicle_id: object
    consignor_site_id: object
    receiver_site_id: object
    pickup_at: datetime
    receipt_at: datetime | None = None


@dataclass(frozen=True)
class MatchParams:
    tolerance_s: float = 7200.0
    landfill_min_visit_s: float = 300.0
    landfill_types: tuple[str, ...] = ("landfill",)

    @classmethod
    def from_settings(cls, s) -> MatchParams:
        return cls(s.match_tolerance_minutes * 60.0, s.landfill_min_visit_minutes * 60.0, tuple(s.landfill_site_types))


@dataclass
class LegResult:
    leg: Leg
    matched: bool
    reason: str | None = None  # a key of UNMATCHED_REASONS
    at_consignor: tuple[datetime, datetime] | None = None  # the visit that matched
    at_receiver: tuple[datetime, datetime] | None = None


@dataclass
class LandfillVisit:
    vehicle_id: object
    site_id: object
    arrived: datetime
    left: datetime


@dataclass
class MatchResult:
    matched: list[LegResult] = field(default_factory=list)
    unmatched: list[LegResult] = field(default_factory=list)
    landfill_without_document: list[LandfillVisit] = field(default_factory=list)


@dataclass
class Visits:
    vehicle: np.ndarray
    site: np.ndarray
    t_first: np.ndarray
    t_last: np.ndarray

    def __len__(self) -> int:
        return int(self.site.size)


def site_visits(track: Track, sites: SiteIndex) -> Visits:
    """Runs of consecutive positions of a vehicle inside one site's geofence."""
    pi, si, _ = sites.query(track.lat, track.lon)
    if pi.size == 0:
        z = np.array([], dtype=np.int64)
        return Visits(z, z.copy(), z.copy(), z.copy())
    order = np.lexsort((pi, si))
    pi, si = pi[order], si[order]
    new = np.r_[True, (si[1:] != si[:-1]) | (pi[1:] != pi[:-1] + 1) | (track.vehicle[pi[1:]] != track.vehicle[pi[:-1]])]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], pi.size] - 1
    return Visits(track.vehicle[pi[starts]], si[starts], track.t[pi[starts]], track.t[pi[ends]])


def _ts(dt: datetime | None) -> int:
    return int(dt.timestamp()) if dt is not None else -1


def _dt(ts) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc)


def _key(vehicle, site) -> np.ndarray:
    return np.asarray(vehicle, dtype=np.int64) * (1 << 24) + np.asarray(site, dtype=np.int64)


def _best_visit(leg_key, when, visits: Visits, tol, not_before=None) -> np.ndarray:
    """Per leg, the index of the visit (same vehicle and site) closest to `when` among those
    overlapping [when - tol, when + tol] (and not ending before `not_before`); -1 if none."""
    best = np.full(leg_key.size, -1, dtype=np.int64)
    li, vj = join_equal(leg_key, _key(visits.vehicle, visits.site))
    if li.size == 0:
        return best
    w = when[li]
    ok = (visits.t_first[vj] <= w + tol) & (visits.t_last[vj] >= w - tol) & (when[li] >= 0)
    if not_before is not None:
        ok &= visits.t_last[vj] >= not_before[li]
    li, vj = li[ok], vj[ok]
    gap = np.maximum(0, np.maximum(visits.t_first[vj] - w[ok], w[ok] - visits.t_last[vj]))
    order = np.lexsort((gap, li))
    li, vj = li[order], vj[order]
    first = np.r_[True, li[1:] != li[:-1]] if li.size else np.array([], dtype=bool)
    best[li[first]] = vj[first]
    return best


def match_legs(track: Track, sites: SiteIndex, legs: list[Leg], params: MatchParams = MatchParams()) -> MatchResult:
    visits = site_visits(track, sites)
    result = MatchResult()
    n = len(legs)
    vcode = track.code_of(np.array([leg.vehicle_id for leg in legs], dtype=track.labels.dtype if track.labels.size else object)) if n else np.array([], dtype=np.int64)
    cpos = sites.position_of([leg.consignor_site_id for leg in legs])
    rpos = sites.position_of([leg.receiver_site_id for leg in legs])
    pickup = np.array([_ts(leg.pickup_at) for leg in legs], dtype=np.int64)
    receipt = np.array([_ts(leg.receipt_at) for leg in legs], dtype=np.int64)
    tol = params.tolerance_s
    at_c = _best_visit(_key(vcode, cpos), pickup, visits, tol) if n else np.array([], dtype=np.int64)
    not_before = np.where(at_c >= 0, visits.t_first[np.maximum(at_c, 0)] if len(visits) else 0, 0)
    at_r = _best_visit(_key(vcode, rpos), receipt, visits, tol, not_before) if n else np.array([], dtype=np.int64)
    # did the vehicle report at all in the leg's window?
    end = np.where(receipt >= 0, receipt, pickup) + int(tol)
    start = pickup - int(tol)
    has_points = np.zeros(n, dtype=bool)
    if n and len(track):
        sorted_key = (track.vehicle.astype(np.int64) << 32) + track.t
        lo = np.searchsorted(sorted_key, (np.maximum(vcode, 0) << 32) + start, side="left")
        hi = np.searchsorted(sorted_key, (np.maximum(vcode, 0) << 32) + end, side="right")
        has_points = (hi > lo) & (vcode >= 0)
    for i, leg in enumerate(legs):  # one loop per leg, to build the records
        c = (_dt(visits.t_first[at_c[i]]), _dt(visits.t_last[at_c[i]])) if at_c[i] >= 0 else None
        r = (_dt(visits.t_first[at_r[i]]), _dt(visits.t_last[at_r[i]])) if at_r[i] >= 0 else None
        if cpos[i] < 0 or rpos[i] < 0:
            reason = "unknown_site"
        elif not has_points[i]:
            reason = "no_telemetry"
        elif c is None:
            reason = "not_at_consignor"
        elif leg.receipt_at is not None and r is None:
            reason = "not_at_receiver"
        else:
            reason = None
        rec = LegResult(leg, reason is None, reason, c, r)
        (result.matched if rec.matched else result.unmatched).append(rec)
    result.landfill_without_document = _landfill_without_document(track, sites, visits, vcode, rpos, receipt, params)
    return result


def _landfill_without_document(track, sites, visits: Visits, vcode, rpos, receipt, params) -> list[LandfillVisit]:
    if len(visits) == 0:
        return []
    is_landfill = np.isin(sites.kind[visits.site].astype(str), list(params.landfill_types))
    long_enough = (visits.t_last - visits.t_first) >= params.landfill_min_visit_s
    cand = np.flatnonzero(is_landfill & long_enough)
    if cand.size == 0:
        return []
    explained = np.zeros(cand.size, dtype=bool)
    has_receipt = receipt >= 0
    li, vj = join_equal(_key(vcode[has_receipt], rpos[has_receipt]), _key(visits.vehicle[cand], visits.site[cand]))
    if li.size:
        r = receipt[has_receipt][li]
        ok = (visits.t_first[cand][vj] <= r + params.tolerance_s) & (visits.t_last[cand][vj] >= r - params.tolerance_s)
        explained[vj[ok]] = True
    out = []
    for j in cand[~explained]:
        out.append(LandfillVisit(track.labels[visits.vehicle[j]], sites.ids[visits.site[j]], _dt(visits.t_first[j]), _dt(visits.t_last[j])))
    return out


def leg_windows(legs: list[Leg], track: Track, sites: SiteIndex, tolerance_s: float) -> LegWindows:
    """Where each vehicle is expected when, for the stop classification (consignor near pick-up,
    receiver near receipt)."""
    if not legs:
        return LegWindows.none()
    v = track.code_of(np.array([leg.vehicle_id for leg in legs], dtype=track.labels.dtype if track.labels.size else object))
    c = sites.position_of([leg.consignor_site_id for leg in legs])
    r = sites.position_of([leg.receiver_site_id for leg in legs])
    p = np.array([_ts(leg.pickup_at) for leg in legs], dtype=np.int64)
    q = np.array([_ts(leg.receipt_at) for leg in legs], dtype=np.int64)
    tol = int(tolerance_s)
    ok_c = (v >= 0) & (c >= 0)
    ok_r = ok_c & (r >= 0) & (q >= 0)
    return LegWindows((v[ok_c], c[ok_c], p[ok_c] - tol, p[ok_c] + tol), (v[ok_r], r[ok_r], q[ok_r] - tol, q[ok_r] + tol))
