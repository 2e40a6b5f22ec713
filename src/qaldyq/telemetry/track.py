"""A set of GPS tracks as columns (NumPy arrays), sorted by vehicle then time.

Every analysis takes a `Track`: the server builds it from the database, the CLI from a CSV file,
the benchmark from its generator, so all three run the same code."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    vehicle: np.ndarray  # int64 codes; `labels[code]` is the vehicle's id or name
    t: np.ndarray  # int64 seconds since the epoch (UTC)
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    labels: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def __len__(self) -> int:
        return int(self.t.size)

    @classmethod
    def build(cls, vehicle, t, lat, lon) -> Track:
        """Sort by (vehicle, time) and keep one point per vehicle and second. `vehicle` may hold
        ids or names; they are coded as integers and kept in `labels`."""
        labels, codes = np.unique(np.asarray(vehicle), return_inverse=True)
        codes = codes.astype(np.int64).ravel()
        t = np.asarray(t, dtype=np.int64)
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        order = np.lexsort((t, codes))
        codes, t, lat, lon = codes[order], t[order], lat[order], lon[order]
        if t.size > 1:
            keep = np.r_[True, (codes[1:] != codes[:-1]) | (t[1:] != t[:-1])]
            codes, t, lat, lon = codes[keep], t[keep], lat[keep], lon[keep]
        return cls(codes, t, lat, lon, labels.astype(object))

    @classmethod
    def empty(cls) -> Track:
        z = np.array([], dtype=np.int64)
        f = np.array([], dtype=np.float64)
        return cls(z, z.copy(), f, f.copy())

    def label(self, codes: np.ndarray) -> np.ndarray:
        return self.labels[codes] if codes.size else np.array([], dtype=object)

    def code_of(self, labels) -> np.ndarray:
        """Codes of the given labels (-1 where the track has no such vehicle)."""
        labels = np.asarray(labels, dtype=self.labels.dtype if self.labels.size else object)
        if self.labels.size == 0 or labels.size == 0:
            return np.full(labels.size, -1, dtype=np.int64)
        pos = np.searchsorted(self.labels, labels)
        pos = np.clip(pos, 0, self.labels.size - 1)
        return np.where(self.labels[pos] == labels, pos, -1).astype(np.int64)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated index ranges [s, s+len) for each pair, without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.array([], dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - np.asarray(starts, dtype=np.int64), lengths)


def join_equal(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i, j) with left[i] == right[j] (an equi-join on int64 keys), vectorized."""
    if left.size == 0 or right.size == 0:
        z = np.array([], dtype=np.int64)
        return z, z.copy()
    order = np.argsort(right, kind="stable")
    sr = right[order]
    lo = np.searchsorted(sr, left, side="left")
    hi = np.searchsorted(sr, left, side="right")
    counts = hi - lo
    li = np.repeat(np.arange(left.size, dtype=np.int64), counts)
    rj = order[ranges(lo, counts)]
    return li, rj
