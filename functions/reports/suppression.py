"""Small-count suppression for everything that leaves the staff-only JSON (CSV and HTML).

A count under 5 (zero included) is shown as "<5", so a published figure never singles out one or two citizens of a
kelurahan; a count withheld so that such a figure cannot be worked out from the others is shown as "x" (see
`protect`). Figures derived from counts follow their counts: a percentage only when both of its counts are shown, a
median not over fewer than 5 cases, a change against last week only when both sides are shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.model import Report

THRESHOLD = 5
SUPPRESSED = "<5"
NOT_SHOWN = "–"
WITHHELD = "x"


def is_suppressed(count: int) -> bool:
    """Under the threshold, or withheld (WITHHELD_COUNT) to protect another figure: not shown as a number."""
    return count < THRESHOLD


def shown(count: int) -> str:
    if count < 0:
        return WITHHELD
    return SUPPRESSED if is_suppressed(count) else str(count)


def shown_share(part: int, rest: int) -> str:
    """`part` as a percentage of `part + rest`, only when both are shown: beside one hidden count, a percentage and
    the other count give it away (3 on time, 40 late, "7,0%" on time: the 3 is back)."""
    if is_suppressed(part) or is_suppressed(rest):
        return NOT_SHOWN
    return f"{100 * part / (part + rest):.1f}".replace(".", ",") + "%"


def shown_value(value: int | None, cases: int) -> str:
    if value is None or is_suppressed(cases):
        return NOT_SHOWN
    return str(value)


def shown_change(today: int, week_ago: int) -> str:
    if is_suppressed(today) or is_suppressed(week_ago):
        return NOT_SHOWN
    change = today - week_ago
    return f"{change:+d}"


# --- complementary suppression ----------------------------------------------------------------------------------
#
# "<5" alone is not enough where a total and its parts are both published: total minus the shown parts gives the
# hidden ones back (12 new submissions, 9 of them applications: the "<5" complaints are 3). So before the CSV and the
# HTML are written, `protect` plays that reader. It knows every additive relation among the published figures (a
# total and its parts, a kecamatan and its kelurahan, the month and its days, the same figure in two places), that a
# "<5" is 0-4 and that an "x" is 5 or more, and subtracts until nothing changes (interval propagation). While some
# hidden figure comes out as a single value, it withholds one more shown figure of a relation that pins it (the
# smallest: the least information lost), shown as "x". Relations the data satisfy exactly are taken as exact (a
# kecamatan whose complaints all named a kelurahan), which only ever hides more than a reader could know to need.
# What this reader cannot do, neither can anyone doing arithmetic on the published file; a full linear-programming
# audit would be stricter still, and was judged more than aggregates of whole days need.

WITHHELD_COUNT = -1
"""How a withheld count travels in the protected report: `shown` writes it as WITHHELD, charts as hatched stubs."""

_INF = float("inf")

CellPath = tuple[str | int, ...]


def _get(data: Any, path: CellPath) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: CellPath, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def relations(report: Report) -> list[tuple[CellPath, list[CellPath]]]:
    """Every (total, parts) of the published report: the total is the sum of the parts, or more (something
    unpublished is in it too). Totals starting with "_" are unpublished sums the reader can still form."""
    from bahagia import lifecycle

    d = report.model_dump()
    new: CellPath = ("new_submissions",)
    moves: CellPath = ("transitions",)
    sms: CellPath = ("sms",)
    month: CellPath = ("month_to_date",)
    week: CellPath = ("previous_week", "figures")

    def each(prefix: CellPath, items: list[Any], field: str = "count") -> list[CellPath]:
        return [(*prefix, i, field) for i in range(len(items))]

    news = d["new_submissions"]
    programs = news["by_program"]
    rel: list[tuple[CellPath, list[CellPath]]] = [
        ((*new, "total"), [(*new, "applications"), (*new, "complaints")]),
        (
            (*new, "applications"),
            [(*new, "by_program", i, "count") for i, p in enumerate(programs) if not p["benefit"]],
        ),
        ((*new, "complaints"), each((*new, "by_category"), news["by_category"])),
        ((*new, "total"), each((*new, "by_kecamatan"), news["by_kecamatan"])),
        ((*new, "total"), [*each((*new, "by_kelurahan"), news["by_kelurahan"]), (*new, "without_kelurahan")]),
        ((*new, "total"), each((*new, "by_status"), news["by_status"])),
        ((*moves, "total"), each((*moves, "by_status"), d["transitions"]["by_status"])),
        ((*sms, "sent"), [(*sms, "delivered")]),
        ((*sms, "failed"), [(*sms, "refused_client_budget"), (*sms, "refused_daily_budget")]),
        ((*sms, "segments"), [(*sms, "sent")]),
        ((*month, "submissions"), [(*month, "applications"), (*month, "complaints")]),
        ((*month, "applications"), [(*new, "applications")]),
        ((*month, "complaints"), [(*new, "complaints")]),
        ((*month, "transitions"), [(*moves, "total")]),
        ((*month, "sms_sent"), [(*sms, "sent")]),
        ((*month, "sms_segments"), [(*sms, "segments")]),
        ((*month, "sms_segments"), [(*month, "sms_sent")]),
    ]
    for i, program in enumerate(programs):
        benefits = [
            (*new, "by_program", j, "count")
            for j, p in enumerate(programs)
            if not program["benefit"] and p["program"] == program["program"] and p["benefit"]
        ]
        if benefits:
            rel.append(((*new, "by_program", i, "count"), benefits))
    for i, kecamatan in enumerate(news["by_kecamatan"]):
        inside: list[CellPath] = [
            (*new, "by_kelurahan", j, "count")
            for j, k in enumerate(news["by_kelurahan"])
            if k["kecamatan"] == kecamatan["kecamatan"]
        ]
        rel.append(((*new, "by_kecamatan", i, "count"), inside))
    moved = {s["status"]: (*moves, "by_status", i, "count") for i, s in enumerate(d["transitions"]["by_status"])}
    for name, statuses in (
        ("verification", lifecycle.first_step_statuses()),
        ("completion", lifecycle.closed_statuses()),
    ):
        rel.append((("_moved", name), [moved[s] for s in statuses if s in moved]))
        rel.append((("_moved", name), [("sla", f"to_{name}", "cases")]))
    series: dict[str, CellPath] = {
        x["date"]: ("submissions_last_30_days", i, "count") for i, x in enumerate(d["submissions_last_30_days"])
    }
    sla_days = {x["date"]: i for i, x in enumerate(d["sla"]["last_30_days"])}
    if report.date in series:
        rel.append((series[report.date], [(*new, "total")]))
    if report.date in sla_days:
        rel.append((("sla", "last_30_days", sla_days[report.date], "met"), [("sla", "met")]))
        rel.append((("sla", "last_30_days", sla_days[report.date], "late"), [("sla", "late")]))
    since = d["month_to_date"]["since"]
    rel.append(((*month, "submissions"), [path for day, path in series.items() if day >= since]))
    for field, part in (("sla_met", "met"), ("sla_late", "late")):
        rel.append(((*month, field), [("sla", "last_30_days", i, part) for day, i in sla_days.items() if day >= since]))
    figures = {f["figure"]: i for i, f in enumerate(d["previous_week"]["figures"])}
    today: dict[str, CellPath] = {
        "submissions": (*new, "total"),
        "applications": (*new, "applications"),
        "complaints": (*new, "complaints"),
        "transitions": (*moves, "total"),
        "sms_sent": (*sms, "sent"),
    }
    for figure, i in figures.items():
        if figure in today:
            rel.append(((*week, i, "today"), [today[figure]]))
    if {"submissions", "applications", "complaints"} <= set(figures):
        ago = {name: (*week, figures[name], "week_ago") for name in ("submissions", "applications", "complaints")}
        rel.append((ago["submissions"], [ago["applications"], ago["complaints"]]))
        if d["previous_week"]["date"] in series:
            rel.append((series[d["previous_week"]["date"]], [ago["submissions"]]))
    window = each(("submissions_last_30_days_by_kelurahan",), d["submissions_last_30_days_by_kelurahan"])
    rel.append((("_window",), list(series.values())))
    rel.append((("_window",), window))
    today_by_kelurahan = {k["kelurahan"]: i for i, k in enumerate(news["by_kelurahan"])}
    for i, k in enumerate(d["submissions_last_30_days_by_kelurahan"]):
        if k["kelurahan"] in today_by_kelurahan:
            rel.append((window[i], [(*new, "by_kelurahan", today_by_kelurahan[k["kelurahan"]], "count")]))
    return [(total, parts) for total, parts in rel if parts]


def _virtual_values(data: Any, rel: list[tuple[CellPath, list[CellPath]]]) -> dict[CellPath, int]:
    """The true value of each unpublished sum: the sum of the parts of its first relation (its definition)."""
    values: dict[CellPath, int] = {}
    for total, parts in rel:
        if str(total[0]).startswith("_") and total not in values:
            values[total] = sum(_get(data, p) for p in parts)
    return values


def pinned(
    intervals: dict[CellPath, tuple[float, float]], rel: list[tuple[CellPath, list[CellPath]]], exact: list[bool]
) -> dict[CellPath, tuple[float, float]]:
    """Propagate the reader's intervals through the relations (an inexact one has an unknown remainder >= 0)."""
    box = {path: list(bounds) for path, bounds in intervals.items()}
    rests = {i: [0.0, _INF] for i, is_exact in enumerate(exact) if not is_exact}
    for _ in range(200):
        changed = False
        for i, (total, parts) in enumerate(rel):
            terms = [box.setdefault(p, [0.0, _INF]) for p in parts]
            if i in rests:
                terms.append(rests[i])
            whole = box.setdefault(total, [0.0, _INF])
            low, high = sum(t[0] for t in terms), sum(t[1] for t in terms)
            if low > whole[0] or high < whole[1]:
                whole[0], whole[1] = max(whole[0], low), min(whole[1], high)
                changed = True
            for term in terms:
                others_low, others_high = low - term[0], high - term[1]
                new_low = max(term[0], whole[0] - others_high)
                new_high = min(term[1], whole[1] - others_low)
                if new_low != term[0] or new_high != term[1]:
                    low, high = low + new_low - term[0], high + new_high - term[1]
                    term[0], term[1] = new_low, new_high
                    changed = True
        if not changed:
            break
    return {path: (bounds[0], bounds[1]) for path, bounds in box.items()}


def protect(report: Report) -> Report:
    """The report with every count a reader could work out from the others withheld (WITHHELD_COUNT); primary
    suppression ("<5") is left to `shown`. Only the CSV and HTML are written from it, never the staff-only JSON."""
    data = report.model_dump()
    rel = relations(report)
    virtual = _virtual_values(data, rel)

    def value(path: CellPath) -> int:
        return virtual[path] if path in virtual else int(_get(data, path))

    exact = [value(total) == sum(value(p) for p in parts) for total, parts in rel]
    published = {p for total, parts in rel for p in (total, *parts) if p not in virtual}
    withheld: set[CellPath] = set()
    while True:
        intervals: dict[CellPath, tuple[float, float]] = {}
        for path in published:
            count = value(path)
            if path in withheld:
                intervals[path] = (THRESHOLD, _INF)
            elif is_suppressed(count):
                intervals[path] = (0, THRESHOLD - 1)
            else:
                intervals[path] = (count, count)
        box = pinned(intervals, rel, exact)
        hidden = sorted(p for p in published if p in withheld or is_suppressed(value(p)))
        exposed = [p for p in hidden if box[p][0] == box[p][1]]
        if not exposed:
            break
        candidate = _to_withhold(exposed, rel, published, withheld, value)
        if candidate is None:  # pragma: no cover - every exposure involves a shown figure; kept as a safe stop
            raise RuntimeError("complementary suppression found nothing more to withhold")
        withheld.add(candidate)
    for path in withheld:
        _set(data, path, WITHHELD_COUNT)
    return type(report).model_validate(data)


def _to_withhold(
    exposed: list[CellPath],
    rel: list[tuple[CellPath, list[CellPath]]],
    published: set[CellPath],
    withheld: set[CellPath],
    value: Any,
) -> CellPath | None:
    """The smallest shown figure in a relation of an exposed one, looking further out through relations if needed."""
    frontier, seen = set(exposed), set(exposed)
    while frontier:
        near = {p for total, parts in rel if frontier & {total, *parts} for p in (total, *parts)}
        shown_near = [p for p in near if p in published and p not in withheld and not is_suppressed(value(p))]
        if shown_near:
            return min(shown_near, key=lambda p: (value(p), p))
        frontier = near - seen
        seen |= near
    return None
