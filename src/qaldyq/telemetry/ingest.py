"""Reading a batch of GPS points and judging each point, without the database.

Parsing is one pass over the decoded JSON (the decoder already made one object per point);
every check after that works on whole columns. Each refused point gets a reason, so the caller
can count them: nothing is dropped silently."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from qaldyq.core.i18n import N_
from qaldyq.telemetry.geo import distance_m

# reason code -> message (the order is the order of the checks)
REASONS: dict[str, str] = {
    "malformed": N_("The point is not valid."),
    "impossible_coordinates": N_("The coordinates are impossible (latitude beyond ±90, longitude beyond ±180, or 0, 0)."),
    "outside_service_area": N_("The position is far outside Kazakhstan."),
    "future_time": N_("The time is in the future."),
    "too_old": N_("The time is older than the retention period."),
    "unregistered_tracker": N_("No vehicle is registered with this tracker or plate."),
    "not_permitted": N_("The vehicle belongs to another organization."),
    "duplicate": N_("A point of this vehicle at this second was already received."),
    "speed_jump": N_("The position implies a speed no truck reaches (a GPS jump)."),
}
REASON_CODES = {code: i + 1 for i, code in enumerate(REASONS)}  # 0 = accepted
CODE_REASON = {v: k for k, v in REASON_CODES.items()}

FIELDS = {"tracker_id", "plate", "time", "lat", "lon", "speed"}
IGNORED = {"heading", "course", "altitude", "hdop", "satellites"}  # sent by many trackers, not stored

MSG_NOT_OBJECT = N_("Each point must be a JSON object.")
MSG_NO_VEHICLE = N_("Give tracker_id or plate.")
MSG_TEXT = N_("Must be text.")
MSG_TIME = N_("Must be an ISO 8601 date and time with a UTC offset, or seconds since 1970.")
MSG_NUMBER = N_("Must be a number.")
MSG_SPEED = N_("Must be a number from 0 to 400 (km/h).")
MSG_UNKNOWN = N_("This field is not allowed here.")


@dataclass
class Batch:
    """The points of a batch as columns; `status` is 0 for points still accepted, else a reason
    code. `errors` explains refused points: (index, pointer, message)."""

    ident: np.ndarray  # "t:<tracker>" or "p:<PLATE>"
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed: np.ndarray
    status: np.ndarray
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.t.size)

    def reject(self, mask: np.ndarray, reason: str, field_name: str = "", message: str | None = None) -> None:
        """Refuse the still-accepted points in `mask` for `reason`."""
        mask = mask & (self.status == 0)
        self.status[mask] = REASON_CODES[reason]
        for i in np.flatnonzero(mask)[:200].tolist():  # the first few are explained one by one
            self.errors.append((i, f"/{i}/{field_name}" if field_name else f"/{i}", message or REASONS[reason]))

    def counts(self) -> dict[str, int]:
        codes, n = np.unique(self.status[self.status > 0], return_counts=True)
        return {CODE_REASON[int(c)]: int(k) for c, k in zip(codes, n)}


def decode(body: bytes, ndjson: bool) -> list:
    """The points of a body: a JSON array, or one JSON object per line. A line that is not JSON
    becomes a malformed point (None) so that it is counted, not lost."""
    if not ndjson:
        data = json.loads(body)
        if not isinstance(data, list):
            raise ValueError("not an array")
        return data
    out = []
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(None)
    return out


def _time(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(math.floor(value)) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= 40:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return None
        if dt.tzinfo is None:
            return None  # a local time without offset is ambiguous (Kazakhstan has had two zones)
        return int(math.floor(dt.timestamp()))
    return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse(items: list) -> Batch:
    n = len(items)
    ident = np.empty(n, dtype=object)
    t = np.zeros(n, dtype=np.int64)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    speed = np.full(n, np.nan)
    bad: list[tuple[int, str, str]] = []
    for i, p in enumerate(items):  # decoding only; every judgement below is on columns
        if not isinstance(p, dict):
            bad.append((i, "", MSG_NOT_OBJECT))
            continue
        unknown = [k for k in p if k not in FIELDS and k not in IGNORED]
        if unknown:
            bad.append((i, str(unknown[0]), MSG_UNKNOWN))
            continue
        tracker, plate = p.get("tracker_id"), p.get("plate")
        if tracker is not None:
            if not isinstance(tracker, (str, int)) or isinstance(tracker, bool) or not str(tracker).strip():
                bad.append((i, "tracker_id", MSG_TEXT))
                continue
            ident[i] = "t:" + str(tracker).strip()
        elif plate is not None:
            if not isinstance(plate, str) or not plate.strip():
                bad.append((i, "plate", MSG_TEXT))
                continue
            ident[i] = "p:" + normalize_plate(plate)
        else:
            bad.append((i, "tracker_id", MSG_NO_VEHICLE))
            continue
        ts = _time(p.get("time"))
        if ts is None:
            bad.append((i, "time", MSG_TIME))
            continue
        la, lo = _number(p.get("lat")), _number(p.get("lon"))
        if la is None:
            bad.append((i, "lat", MSG_NUMBER))
            continue
        if lo is None:
            bad.append((i, "lon", MSG_NUMBER))
            continue
        sp = p.get("speed")
        if sp is not None:
            sv = _number(sp)
            if sv is None or not (0.0 <= sv <= 400.0):
                bad.append((i, "speed", MSG_SPEED))
                continue
            speed[i] = sv
        t[i], lat[i], lon[i] = ts, la, lo
    batch = Batch(ident, t, lat, lon, speed, np.zeros(n, dtype=np.int8))
    for i, fld, msg in bad:
        batch.status[i] = REASON_CODES["malformed"]
        if len(batch.errors) < 200:
            batch.errors.append((i, f"/{i}/{fld}" if fld else f"/{i}", msg))
    return batch


def normalize_plate(plate: str) -> str:
    return "".join(plate.split()).upper()


def impossible(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180) | ((lat == 0) & (lon == 0))


@dataclass(frozen=True)
class JumpParams:
    max_speed_kmh: float = 150.0
    tolerance_m: float = 200.0
    max_jump_points: int = 3


def jumps(vehicle: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, trusted: np.ndarray, params: JumpParams) -> np.ndarray:
    """Which points are GPS jumps. Input sorted by (vehicle, time), one point per second;
    `trusted` marks points already stored. The track is cut wherever two consecutive points are
    further apart than `tolerance_m` at a speed above `max_speed_kmh`; the pieces that hold a
    trusted point are kept, and so are pieces longer than `max_jump_points`; a vehicle with no
    trusted piece keeps its longest piece. The other pieces (islands of a few points that the
    truck could not have reached) are jumps."""
    n = t.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    same = vehicle[1:] == vehicle[:-1]
    step = distance_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.maximum(np.diff(t), 1)
    implausible = same & (step > params.tolerance_m) & (step / dt * 3.6 > params.max_speed_kmh)
    piece = np.cumsum(np.r_[True, ~same | implausible]) - 1
    npieces = int(piece[-1]) + 1
    size = np.bincount(piece, minlength=npieces)
    has_trusted = np.bincount(piece, weights=trusted.astype(np.float64), minlength=npieces) > 0
    first_of_piece = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]])
    pveh = vehicle[first_of_piece]
    keep = has_trusted | (size > params.max_jump_points)
    # vehicles with no trusted piece: keep the longest piece (the first of equals)
    veh_codes, veh_idx = np.unique(pveh, return_inverse=True)
    veh_trusted = np.bincount(veh_idx, weights=has_trusted.astype(np.float64), minlength=veh_codes.size) > 0
    order = np.lexsort((np.arange(npieces), -size, veh_idx))
    longest = order[np.r_[True, veh_idx[order][1:] != veh_idx[order][:-1]]]
    keep[longest[~veh_trusted[veh_idx[longest]]]] = True
    return ~keep[piece]
