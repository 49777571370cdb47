"""lat/long -> (kecamatan, kelurahan) by point in polygon on the 68 kelurahan boundaries, with shapely.

The boundaries are the reports' copy (reports/data/kota-jambi-boundaries.geojson, attribution in its `source`), read
once per instance. shapely (and numpy under it) costs about 0.2-0.3 s to import, so only the open311 target imports
this module, on its first POST with a point; no other target's cold start pays for it.

The polygons are simplified (Douglas-Peucker, 0.00015 degrees), which leaves slivers between neighbours and trims the
river banks: a point in no polygon takes the nearest kelurahan within NEAREST_DEGREES (about 330 m); farther away it
is outside the city.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import resources
from typing import Any

NEAREST_DEGREES = 0.003

_lock = threading.Lock()


class KelurahanLocator:
    def __init__(self, geojson: dict[str, Any]) -> None:
        import shapely
        from shapely.geometry import shape

        features = [f for f in geojson["features"] if f.get("properties", {}).get("level") == "kelurahan"]
        self._codes = [(str(f["properties"]["kecamatan"]), str(f["properties"]["code"])) for f in features]
        self._shapes = [shape(f["geometry"]) for f in features]
        for geometry in self._shapes:
            shapely.prepare(geometry)
        self._tree = shapely.STRtree(self._shapes)

    def __call__(self, lat: float, lng: float) -> tuple[str, str] | None:
        from shapely.geometry import Point

        point = Point(lng, lat)  # GeoJSON order: longitude first
        hits = sorted(int(i) for i in self._tree.query(point, predicate="intersects"))
        if hits:
            # On a shared border both polygons intersect the point; the lowest code decides, so the answer is stable.
            return min(self._codes[i] for i in hits)
        nearest = self._tree.query_nearest(point, max_distance=NEAREST_DEGREES)
        if len(nearest) == 0:
            return None
        return min(self._codes[int(i)] for i in nearest)


@cache
def _boundaries() -> dict[str, Any]:
    text = resources.files("reports").joinpath("data/kota-jambi-boundaries.geojson").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def kelurahan_locator() -> KelurahanLocator:
    """The instance's one locator, built on first use (threads of a cold instance wait for the first)."""
    with _lock:
        return _locator()


@cache
def _locator() -> KelurahanLocator:
    return KelurahanLocator(_boundaries())
