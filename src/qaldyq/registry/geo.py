"""Is a point inside Kazakhstan? A simplified outline of the state border (about 20 km
accuracy, the Caspian Sea left outside), enough to refuse coordinates that are plainly elsewhere
(swapped lat/lon, another country, zeros)."""

from __future__ import annotations

# (lon, lat), clockwise from the Caspian shore at the Russian border.
KAZAKHSTAN_OUTLINE: tuple[tuple[float, float], ...] = (
    (49.0, 46.4), (48.6, 46.7), (48.0, 47.1), (47.2, 47.6), (46.5, 48.4), (46.8, 49.0), (46.9, 49.9),
    (47.6, 50.5), (48.7, 50.7), (50.0, 51.3), (50.8, 51.7), (52.5, 51.6), (54.6, 51.2), (55.7, 50.6),
    (57.5, 51.1), (58.6, 51.1), (59.6, 50.6), (61.4, 50.8), (61.7, 51.3), (60.1, 52.0), (61.0, 52.9),
    (61.0, 53.7), (61.3, 54.1), (62.5, 54.0), (65.2, 54.4), (65.6, 54.7), (68.2, 55.0), (69.2, 55.45),
    (70.8, 55.3), (71.2, 54.1), (73.0, 53.9), (73.5, 54.1), (76.5, 54.2), (77.9, 53.3), (80.0, 51.0),
    (81.5, 50.9), (83.2, 51.0), (84.3, 50.3), (85.0, 49.9), (86.6, 49.8), (87.35, 49.1), (85.7, 48.3),
    (85.5, 47.0), (83.2, 47.2), (82.3, 45.6), (82.6, 45.2), (79.9, 44.9), (80.3, 44.0), (80.2, 42.1),
    (79.1, 42.8), (76.0, 43.0), (74.8, 43.0), (73.5, 42.5), (71.0, 42.6), (70.9, 42.2), (69.9, 42.0),
    (69.0, 41.3), (68.0, 40.6), (66.6, 41.2), (66.0, 42.9), (64.5, 43.6), (62.0, 43.5), (61.0, 44.4),
    (58.5, 45.6), (56.0, 45.0), (56.0, 41.3), (55.4, 41.3), (54.2, 42.3), (52.8, 41.8), (52.5, 42.8),
    (51.3, 43.2), (50.3, 44.3), (50.3, 44.7), (51.2, 45.1), (53.1, 45.3), (53.1, 46.2), (51.3, 46.9),
    (49.7, 46.5),
)

LAT_RANGE = (40.5, 55.5)
LON_RANGE = (46.4, 87.4)


def inside_kazakhstan(lat: float, lon: float) -> bool:
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return False
    inside = False
    pts = KAZAKHSTAN_OUTLINE
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside
