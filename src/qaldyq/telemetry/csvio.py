"""Reading the offline-analysis CSV files (a tracker export and a list of sites), with the line
number of the first malformed line."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from qaldyq.telemetry.geofence import SiteIndex
from qaldyq.telemetry.track import Track

POINT_COLUMNS = ("vehicle", "time", "lat", "lon")
SITE_COLUMNS = ("site_id", "lat", "lon", "radius_m")


class CsvError(ValueError):
    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}: line {line}: {message}")
        self.path, self.line, self.message = path, line, message


def _header(path: Path, reader, wanted: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError(path, 1, "the file is empty") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise CsvError(path, 1, f"missing column(s) {', '.join(missing)}; expected {','.join(wanted)}")
    return {c: names.index(c) for c in wanted}


def _float(path, line, name, value, lo, hi) -> float:
    try:
        x = float(value)
    except ValueError:
        raise CsvError(path, line, f"{name} {value!r} is not a number") from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise CsvError(path, line, f"{name} {value!r} is out of range {lo}..{hi}")
    return x


def _time(path, line, value) -> int:
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CsvError(path, line, f"time {value!r} is not ISO 8601") from None
    if dt.tzinfo is None:
        raise CsvError(path, line, f"time {value!r} has no UTC offset (write e.g. 2026-05-04T10:00:00+05:00 or ...Z)")
    return int(math.floor(dt.timestamp()))


def read_points(path: Path, progress: Callable[[int], None] | None = None) -> Track:
    """POINTS.csv: vehicle,time,lat,lon (ISO 8601 times with an offset). `progress` is told the
    bytes read so far."""
    vehicles: list[str] = []
    ts: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        cols = _header(path, reader, POINT_COLUMNS)
        iv, it, ila, ilo = (cols[c] for c in POINT_COLUMNS)
        width = max(cols.values()) + 1
        try:
            for row in reader:  # parsing is per line; the analysis after it is not
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < width:
                    raise CsvError(path, line, f"expected {width} columns, found {len(row)}")
                v = row[iv].strip()
                if not v:
                    raise CsvError(path, line, "vehicle is empty")
                vehicles.append(v)
                ts.append(_time(path, line, row[it]))
                lats.append(_float(path, line, "lat", row[ila], -90, 90))
                lons.append(_float(path, line, "lon", row[ilo], -180, 180))
                if progress and line % 50_000 == 0:
                    progress(raw.tell())
        except csv.Error as exc:
            raise CsvError(path, reader.line_num, str(exc)) from None
        except UnicodeDecodeError:
            raise CsvError(path, reader.line_num + 1, "not UTF-8 text") from None
    if progress:
        progress(path.stat().st_size)
    if not vehicles:
        return Track.empty()
    return Track.build(np.array(vehicles, dtype=object), np.array(ts, dtype=np.int64), np.array(lats), np.array(lons))


def read_sites(path: Path, margin_m: float) -> SiteIndex:
    """SITES.csv: site_id,lat,lon,radius_m (extra columns are ignored)."""
    ids, lats, lons, radii = [], [], [], []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        cols = _header(path, reader, SITE_COLUMNS)
        width = max(cols.values()) + 1
        try:
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < width:
                    raise CsvError(path, line, f"expected {width} columns, found {len(row)}")
                sid = row[cols["site_id"]].strip()
                if not sid:
                    raise CsvError(path, line, "site_id is empty")
                if sid in seen:
                    raise CsvError(path, line, f"site_id {sid!r} appears twice")
                seen.add(sid)
                ids.append(sid)
                lats.append(_float(path, line, "lat", row[cols["lat"]], -90, 90))
                lons.append(_float(path, line, "lon", row[cols["lon"]], -180, 180))
                radii.append(_float(path, line, "radius_m", row[cols["radius_m"]], 0, 100_000))
        except csv.Error as exc:
            raise CsvError(path, reader.line_num, str(exc)) from None
    return SiteIndex.build(ids, lats, lons, radii, margin_m=margin_m)
