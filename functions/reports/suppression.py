"""Small-count suppression for everything that leaves the staff-only JSON (CSV and HTML).

A count under 5 (zero included) is shown as "<5", so a published figure never singles out one or two citizens of a
kelurahan. Figures derived from counts follow their counts: a percentage or a median over fewer than 5 cases is not
shown at all, and a change against last week is not shown when either side is suppressed.
"""

from __future__ import annotations

THRESHOLD = 5
SUPPRESSED = "<5"
NOT_SHOWN = "–"


def is_suppressed(count: int) -> bool:
    return count < THRESHOLD


def shown(count: int) -> str:
    return SUPPRESSED if is_suppressed(count) else str(count)


def shown_percent(part: int, whole: int) -> str:
    if is_suppressed(whole):
        return NOT_SHOWN
    return f"{100 * part / whole:.1f}".replace(".", ",") + "%"


def shown_value(value: int | None, cases: int) -> str:
    if value is None or is_suppressed(cases):
        return NOT_SHOWN
    return str(value)


def shown_change(today: int, week_ago: int) -> str:
    if is_suppressed(today) or is_suppressed(week_ago):
        return NOT_SHOWN
    change = today - week_ago
    return f"{change:+d}"
