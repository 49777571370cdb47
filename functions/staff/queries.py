"""GET /v1/staff/submissions query strings, parsed at the edge into a ListQuery (422 per bad parameter).

Order: newest first (`submitted_at` desc, `sort=newest`, the default); with `sort=due` or `overdue=true`, most overdue
first (`due_at` asc, the order a supervisor works through them in), which lists only cases waiting for a person (a
status with a service level). `from`/`to` are WIB business dates, both inclusive. The cursor is opaque to clients
(base64url JSON of the last item's order value and id) and only valid for the same order.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from bahagia import calendar, lifecycle
from bahagia.catalogue import CATEGORY_IDS, PROGRAM_IDS
from bahagia.errors import FieldError, validation_failed

DEFAULT_LIMIT = 20
EQUALITY_PARAMS = ("status", "kind", "program", "category", "kecamatan", "kelurahan", "opd")
KNOWN_PARAMS = {*EQUALITY_PARAMS, "overdue", "sort", "from", "to", "cursor", "limit"}
SORTS = ("newest", "due")

ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    # name -> (field, descending) pairs, then the document id in the same direction as the last one.
    "submitted": (("submitted_at", True),),
    "due": (("due_at", False),),
    # Firestore orders by every field with a range filter: overdue (due_at) within dates (submitted_at).
    "due,submitted": (("due_at", False), ("submitted_at", False)),
}


@dataclass(frozen=True)
class Cursor:
    order: str
    values: tuple[dt.datetime, ...]
    tracking_code: str

    def encode(self) -> str:
        raw = json.dumps(
            {"o": self.order, "v": [v.isoformat() for v in self.values], "id": self.tracking_code},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class ListQuery:
    equals: dict[str, str] = field(default_factory=dict)
    overdue: bool = False
    submitted_from: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT
    sort: str = "newest"

    @property
    def by_due_date(self) -> bool:
        """Most overdue first: asked for, or implied by the overdue filter."""
        return self.overdue or self.sort == "due"

    @property
    def has_dates(self) -> bool:
        return self.submitted_from is not None or self.submitted_before is not None

    @property
    def order(self) -> str:
        if not self.by_due_date:
            return "submitted"
        return "due,submitted" if self.has_dates else "due"


def _all_statuses() -> set[str]:
    return {status for kind in lifecycle.KINDS for status in lifecycle.lifecycle(kind).statuses}


def _allowed_values(opd_ids: set[str]) -> dict[str, set[str] | None]:
    return {
        "status": _all_statuses(),
        "kind": set(lifecycle.KINDS),
        "program": set(PROGRAM_IDS),
        "category": set(CATEGORY_IDS),
        "kecamatan": None,  # a code of the catalogue; an unknown one simply matches nothing
        "kelurahan": None,
        "opd": opd_ids,
    }


def decode_cursor(text: str) -> Cursor | None:
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        order, code = raw["o"], raw["id"]
        values = tuple(dt.datetime.fromisoformat(v) for v in raw["v"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if order not in ORDERS or len(values) != len(ORDERS[order]) or not isinstance(code, str):
        return None
    if any(v.tzinfo is None for v in values):
        return None
    return Cursor(order=order, values=values, tracking_code=code)


def parse_list_query(args: Mapping[str, str], opd_ids: set[str], max_limit: int) -> ListQuery:
    details: list[FieldError] = []
    equals: dict[str, str] = {}
    allowed = _allowed_values(opd_ids)
    for name in sorted(set(args) - KNOWN_PARAMS):
        details.append(FieldError(name, "unknown_parameter", "Parameter ini tidak dikenal."))
    for name in EQUALITY_PARAMS:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        choices = allowed[name]
        if choices is not None and value not in choices:
            details.append(FieldError(name, "invalid_choice", "Nilai tidak dikenal."))
        else:
            equals[name] = value

    overdue = False
    raw_overdue = (args.get("overdue") or "").strip().lower()
    if raw_overdue in ("true", "1", "ya"):
        overdue = True
    elif raw_overdue not in ("", "false", "0", "tidak"):
        details.append(FieldError("overdue", "invalid_boolean", "Gunakan overdue=true atau overdue=false."))

    sort = (args.get("sort") or "").strip() or "newest"
    if sort not in SORTS:
        details.append(FieldError("sort", "invalid_choice", "Gunakan sort=newest atau sort=due."))

    dates: dict[str, dt.date] = {}
    for name in ("from", "to"):
        value = (args.get(name) or "").strip()
        if value:
            try:
                dates[name] = dt.date.fromisoformat(value)
            except ValueError:
                details.append(FieldError(name, "invalid_date", "Tanggal harus berformat YYYY-MM-DD."))
    if "from" in dates and "to" in dates and dates["from"] > dates["to"]:
        details.append(FieldError("to", "before_from", "Tanggal akhir tidak boleh sebelum tanggal awal."))

    limit = DEFAULT_LIMIT
    raw_limit = (args.get("limit") or "").strip()
    if raw_limit:
        if raw_limit.isdigit() and 1 <= int(raw_limit) <= max_limit:
            limit = int(raw_limit)
        else:
            details.append(FieldError("limit", "out_of_range", f"limit harus 1 sampai {max_limit}."))

    if (overdue or sort == "due") and dates and set(equals) - {"opd", "status"}:
        # Each such combination would need its own composite index (infra/firestore.indexes.json).
        name = "overdue" if overdue else "sort"
        details.append(
            FieldError(
                name,
                "unsupported_combination",
                f"{'overdue' if overdue else 'sort=due'} bersama from/to hanya dapat digabung dengan filter status "
                "dan opd.",
            )
        )
    if details:
        raise validation_failed(details)
    query = ListQuery(
        equals=equals,
        overdue=overdue,
        submitted_from=calendar.start_of(dates["from"]) if "from" in dates else None,
        submitted_before=calendar.start_of(dates["to"] + dt.timedelta(days=1)) if "to" in dates else None,
        limit=limit,
        sort=sort,
    )
    raw_cursor = (args.get("cursor") or "").strip()
    if raw_cursor:
        cursor = decode_cursor(raw_cursor)
        if cursor is None or cursor.order != query.order:
            raise validation_failed([FieldError("cursor", "invalid_cursor", "Cursor tidak sah untuk pencarian ini.")])
        query = dataclasses.replace(query, cursor=cursor)
    return query
