"""Inline SVG charts and the kelurahan map of the HTML report. Pure functions from figures to markup.

Every chart is drawn from suppressed figures only: a count under 5 is a hatched stub of fixed length labelled "<5",
so the length of a bar never tells a reader what the text hides. Charts scale with a viewBox and fill the width of
the page, which keeps them legible on a phone and crisp on paper.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from reports.suppression import is_suppressed, shown

BAR_COLOUR = "#1f6f8b"
STUB = 6.0
HATCH = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#e6e6e6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a8a8a" stroke-width="3"/>'
    "</pattern></defs>"
)


def _a(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars with the label above each bar (narrow enough for a phone held upright); the longest bar is the
    largest shown count."""
    width, row, top = 400, 38, 4
    plot = width - 56
    height = top * 2 + row * max(len(bars), 1)
    largest = max((b.count for b in bars if not is_suppressed(b.count)), default=0)
    hatch = f"hatch-{chart_id}"
    parts = [
        f'<svg class="chart" id="{_a(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{_a(chart_id)}-title">',
        f'<title id="{_a(chart_id)}-title">{_a(title)}</title>',
        HATCH.format(id=hatch),
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        parts.append(f'<text x="0" y="{y + 13}" class="label">{_a(bar.label)}</text>')
        if is_suppressed(bar.count):
            parts.append(
                f'<rect class="bar suppressed" x="0" y="{y + 18}" width="{STUB}" height="14" fill="url(#{hatch})">'
                f"<title>{_a(bar.label)}: {_a(shown(bar.count))}</title></rect>"
            )
            length = STUB
        else:
            length = max(STUB, plot * bar.count / largest) if largest else STUB
            parts.append(
                f'<rect class="bar" x="0" y="{y + 18}" width="{length:.1f}" height="14" fill="{BAR_COLOUR}">'
                f"<title>{_a(bar.label)}: {bar.count}</title></rect>"
            )
        parts.append(f'<text x="{length + 5:.1f}" y="{y + 30}" class="value">{_a(shown(bar.count))}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ShareDay:
    label: str
    met: int
    late: int


def compliance_chart(chart_id: str, title: str, days: Sequence[ShareDay]) -> str:
    """Vertical bars: share of SLA steps closed on time per day; a day whose on-time or late count is hidden is a
    grey marker, not a bar (its percentage would reveal the hidden count)."""
    width, height, left, bottom, top = 400, 190, 34, 28, 8
    plot_w, plot_h = width - left - 10, height - top - bottom
    slot = plot_w / max(len(days), 1)
    hatch = f"hatch-{chart_id}"
    parts = [
        f'<svg class="chart" id="{_a(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{_a(chart_id)}-title">',
        f'<title id="{_a(chart_id)}-title">{_a(title)}</title>',
        HATCH.format(id=hatch),
    ]
    for percent in (0, 50, 100):
        y = top + plot_h * (1 - percent / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#cccccc" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">{percent}%</text>'
        )
    for index, day in enumerate(days):
        x = left + index * slot + slot * 0.15
        bar_w = slot * 0.7
        if is_suppressed(day.met) or is_suppressed(day.late):
            # A share beside a hidden count gives the count away: only days with both counts shown get a bar.
            parts.append(
                f'<rect class="bar suppressed" x="{x:.1f}" y="{top + plot_h - STUB:.1f}" width="{bar_w:.1f}" '
                f'height="{STUB}" fill="url(#{hatch})">'
                f"<title>{_a(day.label)}: tepat waktu {_a(shown(day.met))}, "
                f"terlambat {_a(shown(day.late))}</title></rect>"
            )
        else:
            share = day.met / (day.met + day.late)
            bar_h = plot_h * share
            colour = "#2e7d32" if share >= 0.8 else "#c62828"
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
                f'height="{bar_h:.1f}" fill="{colour}">'
                f"<title>{_a(day.label)}: {100 * share:.0f}% tepat waktu</title></rect>"
            )
        if (len(days) - 1 - index) % 7 == 0:
            last = index == len(days) - 1  # the report date: right-aligned so it stays inside the chart
            anchor, text_x = ("end", x + bar_w) if last else ("middle", x + bar_w / 2)
            parts.append(
                f'<text x="{text_x:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" class="axis">'
                f"{_a(day.label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


# --- the map -------------------------------------------------------------------------------------------------------

BINS: tuple[tuple[int, int | None, str, str], ...] = (
    (0, 4, "<5", "#f1f5f9"),
    (5, 19, "5–19", "#bdd7e7"),
    (20, 49, "20–49", "#6baed6"),
    (50, 99, "50–99", "#3182bd"),
    (100, None, "≥100", "#08519c"),
)


def bin_of(count: int) -> int:
    for index, (low, high, _label, _colour) in enumerate(BINS):
        if count >= low and (high is None or count <= high):
            return index
    return 0


@cache
def boundaries() -> dict[str, Any]:
    """The 68 kelurahan of Kota Jambi (data/kota-jambi-boundaries.geojson; attribution in its `source`)."""
    text = resources.files("reports").joinpath("data/kota-jambi-boundaries.geojson").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def boundaries_attribution() -> str:
    return str(boundaries()["source"])


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@cache
def _projected_paths(width: int) -> tuple[tuple[tuple[str, str, str], ...], int]:
    """(code, name, path data) per kelurahan, and the map's height, in an equirectangular projection scaled by
    cos(latitude) (good enough for a city 20 km across)."""
    features = boundaries()["features"]
    points = [pt for f in features for ring in _rings(f["geometry"]) for pt in ring]
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((min_y + max_y) / 2))
    scale = (width - 20) / ((max_x - min_x) * squeeze)
    height = round((max_y - min_y) * scale) + 20
    paths = []
    for feature in features:
        segments = []
        for ring in _rings(feature["geometry"]):
            coords = " ".join(
                f"{10 + (x - min_x) * squeeze * scale:.1f},{10 + (max_y - y) * scale:.1f}" for x, y in ring
            )
            segments.append(f"M{coords}Z")
        props = feature["properties"]
        paths.append((props["code"], props["name"], "".join(segments)))
    return tuple(paths), height


def kelurahan_map(chart_id: str, title: str, counts: Mapping[str, int]) -> str:
    """Choropleth of the 68 kelurahan shaded by the bin of their count (the lowest bin is "<5")."""
    width = 400
    paths, height = _projected_paths(width)
    legend_h = 28
    hatch = f"hatch-{chart_id}"
    parts = [
        f'<svg class="chart map" id="{_a(chart_id)}" role="img" viewBox="0 0 {width} {height + legend_h}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{_a(chart_id)}-title">',
        f'<title id="{_a(chart_id)}-title">{_a(title)}</title>',
        HATCH.format(id=hatch),
    ]
    for code, name, data in paths:
        count = counts.get(code, 0)
        # A withheld count (5 or more, hidden to protect another) gets the hatch, not the colour of a range.
        colour = f"url(#{hatch})" if count < 0 else BINS[bin_of(count)][3]
        parts.append(
            f'<path class="kelurahan" data-kelurahan="{_a(code)}" d="{data}" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="0.8"><title>{_a(name)}: {_a(shown(count))}</title></path>'
        )
    x = 10
    for _low, _high, label, colour in BINS:
        parts.append(
            f'<rect x="{x}" y="{height + 6}" width="14" height="14" fill="{colour}" stroke="#999999" '
            f'stroke-width="0.5"/>'
            f'<text x="{x + 18}" y="{height + 18}" class="axis">{_a(label)}</text>'
        )
        x += 76
    parts.append("</svg>")
    return "".join(parts)
