"""Open311 GeoReport v2 as published (wiki.open311.org/GeoReport_v2, frozen spec; Service Discovery page): the
services, the public view of a complaint, the query and POST arguments, errors, and the JSON and XML encodings.

Pure: the catalogue, the point-in-polygon lookup and the clock come in as arguments.

What is ours, within the spec:
- services are the complaint categories (stable ids as `service_code`); `metadata` is true because the service
  definition offers three optional attributes: `kecamatan`, `kelurahan` (when no lat/long is sent) and `privacy`.
- a `service_request_id` is the tracking code; `status` is `open` or `closed` from the lifecycle's `closed` flag, with
  the citizen-facing status label as `status_notes`.
- public lists never show pungli (BALAP) reports nor confidential complaints, and never personal data: no reporter,
  and neither the description nor the typed address, because both are free text a citizen may have filled with names
  and house numbers without being told it would be published. `address` is the kelurahan and kecamatan; lat/long are
  rounded to 3 decimals (about 110 m).
- JSON follows the spec's Spark-convention examples (top-level arrays; the discovery document an object); XML is
  UTF-8 with the declaration, no namespace.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bahagia import lifecycle
from bahagia.calendar import WIB
from bahagia.catalogue import Catalogue
from bahagia.codes import format_tracking_code, normalize_tracking_code
from bahagia.errors import BahagiaError
from bahagia.wilayah import wilayah

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
JURISDICTION_ID = "jambikota.go.id"
CHANNEL = "open311"
"""The submission's `channel` (bahagia.channels): set by the open311 target, never taken from the body."""
FORMATS = {"json": "application/json", "xml": "text/xml"}
MAX_SPAN = dt.timedelta(days=90)
MAX_RESULTS = 1000
PUBLIC_COORDINATE_DECIMALS = 3

Locator = Callable[[float, float], tuple[str, str] | None]
"""(lat, long) -> (kecamatan code, kelurahan code), or None outside Kota Jambi."""


# --- errors --------------------------------------------------------------------------------------------------------


class Open311Error(BahagiaError):
    """The spec's error response: HTTP 404 unknown resource, 403 api_key, 400 anything else; one entry per problem.
    A BahagiaError, so the HTTP edge's error boundary handles it like every other client error."""

    def __init__(self, status: int, descriptions: list[str]) -> None:
        super().__init__("open311", descriptions[0] if descriptions else "", status)
        self.descriptions = descriptions

    def payload(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": text} for text in self.descriptions]


def not_found(what: str = "Data") -> Open311Error:
    return Open311Error(404, [f"{what} tidak ditemukan."])


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, list(descriptions))


def forbidden() -> Open311Error:
    return Open311Error(403, ["api_key tidak ada atau tidak valid: permintaan tidak dapat diproses."])


def check_jurisdiction(value: str | None) -> None:
    """Optional for a single-jurisdiction endpoint (spec); when sent, it must be ours."""
    if value and value.strip().lower() != JURISDICTION_ID:
        raise Open311Error(404, [f"jurisdiction_id tidak dikenal; gunakan {JURISDICTION_ID}."])


# --- services ------------------------------------------------------------------------------------------------------


def services(catalogue: Catalogue) -> list[dict[str, Any]]:
    """GET services: one service per complaint category."""
    return [
        {
            "service_code": category["id"],
            "service_name": category["name"],
            "description": category["description"],
            "metadata": True,
            "type": "realtime",
            "keywords": _keywords(category),
            "group": "aspirasi" if category["id"] == "aspirasi" else "pengaduan",
        }
        for category in catalogue.raw["complaint_categories"]
    ]


def _keywords(category: Mapping[str, Any]) -> str:
    words = re.findall(r"[a-z]+", f"{category['name']} {category['description']}".lower())
    stop = {"dan", "di", "yang", "untuk", "serta", "kota", "lainnya", "secara", "bawaan"}
    return ", ".join(dict.fromkeys(word for word in words if len(word) > 3 and word not in stop))


def service_definition(catalogue: Catalogue, code: str) -> dict[str, Any]:
    """GET service definition: the optional attributes every category accepts."""
    if code not in catalogue.categories:
        raise not_found("service_code")
    area = wilayah()
    privacy_default = catalogue.default_privacy(code)
    from bahagia.catalogue import PRIVACY_OPTIONS

    return {
        "service_code": code,
        "attributes": [
            _attribute(
                "kecamatan",
                1,
                "Kecamatan lokasi; tidak perlu diisi bila lat/long dikirim.",
                [(kec, name) for kec, name in area.kecamatan.items()],
            ),
            _attribute(
                "kelurahan",
                2,
                "Kelurahan lokasi; tidak perlu diisi bila lat/long dikirim.",
                [(kel.code, kel.name) for kel in area.kelurahan.values()],
            ),
            _attribute(
                "privacy",
                3,
                f"Kerahasiaan identitas pelapor (bawaan: {privacy_default}). Anonim: tanpa SMS pemberitahuan.",
                [(option["value"], option["label"]) for option in PRIVACY_OPTIONS],
            ),
        ],
    }


def _attribute(code: str, order: int, description: str, values: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def discovery(endpoint_url: str, changeset: str, contact: str, key_service: str) -> dict[str, Any]:
    """The Service Discovery document (both formats are required by that spec)."""
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": changeset,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }


# --- the public view of a complaint --------------------------------------------------------------------------------


def is_public(doc: Mapping[str, Any]) -> bool:
    """Only complaints, never pungli (BALAP), never confidential: restricted records stay with integritas."""
    return doc.get("kind") == "complaint" and not lifecycle.is_restricted(doc)


def w3_datetime(moment: dt.datetime | None) -> str | None:
    """The spec's w3 format with the zone: WIB, the city's own time."""
    if not isinstance(moment, dt.datetime):
        return None
    return moment.astimezone(WIB).isoformat(timespec="seconds")


def public_status(doc: Mapping[str, Any]) -> str:
    try:
        closed = lifecycle.lifecycle("complaint").status(str(doc.get("status"))).closed
    except KeyError:
        closed = False
    return "closed" if closed else "open"


def service_notice(doc: Mapping[str, Any]) -> str | None:
    """What happens next and by when, in working days (bahagia.sla): the service level of the current step."""
    try:
        info = lifecycle.lifecycle("complaint").status(str(doc.get("status")))
    except KeyError:
        return None
    if info.closed or info.next is None or info.due_working_days is None:
        return None
    following = lifecycle.lifecycle("complaint").status(info.next).label
    return (
        f"Langkah berikutnya: {following}, paling lambat {info.due_working_days} hari kerja "
        f"sejak status {info.label.lower()}."
    )


def _rounded(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return round(float(value), PUBLIC_COORDINATE_DECIMALS)


def request_view(doc: Mapping[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """GET requests / GET request: one public complaint, field names and order as in the spec's example."""
    area = wilayah()
    category = str(doc.get("category") or "")
    location = (doc.get("complaint") or {}).get("location") or {}
    kelurahan = area.kelurahan.get(str(doc.get("kelurahan") or ""))
    kecamatan = area.kecamatan.get(str(doc.get("kecamatan") or ""))
    place = [f"Kel. {kelurahan.name}" if kelurahan else None, f"Kec. {kecamatan}" if kecamatan else None, "Kota Jambi"]
    opd = doc.get("opd") or doc.get("suggested_opd")
    status = public_status(doc)
    return {
        "service_request_id": doc.get("tracking_code"),
        "status": status,
        "status_notes": _status_label(doc),
        "service_name": catalogue.categories.get(category, {}).get("name", category),
        "service_code": category,
        "description": None,
        "agency_responsible": catalogue.opd.get(str(opd)) if opd else None,
        "service_notice": service_notice(doc),
        "requested_datetime": w3_datetime(doc.get("submitted_at")),
        "updated_datetime": w3_datetime(doc.get("status_changed_at") or doc.get("submitted_at")),
        "expected_datetime": w3_datetime(doc.get("due_at")) if status == "open" else None,
        "address": ", ".join(part for part in place if part),
        "address_id": None,
        "zipcode": None,
        "lat": _rounded(location.get("lat")),
        "long": _rounded(location.get("lng")),
        "media_url": None,
    }


def _status_label(doc: Mapping[str, Any]) -> str | None:
    try:
        return lifecycle.lifecycle("complaint").status(str(doc.get("status"))).label
    except KeyError:
        return None


# --- GET requests: the query -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    service_request_ids: tuple[str, ...] = ()
    """When given, overrides every other argument (spec)."""
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _parse_datetime(name: str, value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad_request(f"{name}: gunakan format w3, contoh 2026-01-01T00:00:00Z.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WIB)


def parse_request_query(args: Mapping[str, str], catalogue: Catalogue, now: dt.datetime) -> RequestQuery:
    """The optional arguments of GET requests; the span defaults to, and may not exceed, the last 90 days."""
    problems: list[str] = []
    ids = _csv(args.get("service_request_id"))
    codes = tuple(normalize_tracking_code(raw) for raw in ids)
    if ids:
        if len(ids) > 100:
            raise bad_request("service_request_id: paling banyak 100 sekaligus.")
        # An id that cannot be one of ours is simply absent from the answer, like an unknown one.
        return RequestQuery(service_request_ids=tuple(code for code in codes if code))
    service_codes = tuple(_csv(args.get("service_code")))
    unknown = [code for code in service_codes if code not in catalogue.categories]
    if unknown:
        problems.append("service_code tidak dikenal: " + ", ".join(sorted(set(unknown))[:10]) + ".")
    statuses = tuple(status.lower() for status in _csv(args.get("status")))
    if any(status not in ("open", "closed") for status in statuses):
        problems.append("status: gunakan open atau closed.")
    start = end = None
    try:
        if args.get("start_date"):
            start = _parse_datetime("start_date", str(args["start_date"]))
        if args.get("end_date"):
            end = _parse_datetime("end_date", str(args["end_date"]))
    except Open311Error as error:
        problems.extend(error.descriptions)
    if problems:
        raise bad_request(*problems)
    end = end or (start + MAX_SPAN if start else now)
    start = start or end - MAX_SPAN
    if end < start:
        raise bad_request("end_date tidak boleh sebelum start_date.")
    if end - start > MAX_SPAN:
        raise bad_request("Rentang start_date sampai end_date paling lama 90 hari.")
    return RequestQuery(service_codes=service_codes, statuses=statuses, start=start, end=end)


def matches(doc: Mapping[str, Any], query: RequestQuery) -> bool:
    """What the store cannot filter on (public, status): checked on each document it returns."""
    if not is_public(doc):
        return False
    return not query.statuses or public_status(doc) in query.statuses


# --- POST requests: the arguments -> a complaint body for intake ---------------------------------------------------

FIELD_NAMES = {
    "category": "service_code",
    "description": "description",
    "location.lat": "lat",
    "location.lng": "long",
    "location.address": "address_string",
    "location.kecamatan": "attribute[kecamatan]",
    "location.kelurahan": "attribute[kelurahan]",
    "privacy": "attribute[privacy]",
    "reporter.name": "first_name",
    "reporter.phone": "phone",
    "occurred_on": "attribute[occurred_on]",
}
"""Our field -> the Open311 argument a client sent it as, for error messages the client can act on."""


def _number(name: str, value: str, problems: list[str]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        problems.append(f"{name}: harus berupa angka (WGS84).")
        return None
    if not math.isfinite(number):
        problems.append(f"{name}: harus berupa angka (WGS84).")
        return None
    return number


def complaint_from_post(form: Mapping[str, str], catalogue: Catalogue, locate: Locator) -> dict[str, Any]:
    """The body intake validates, from the POST arguments (first value of each), the same body POST /v1/complaints
    takes. Raises Open311Error for what only Open311 can get wrong (service_code, location arguments); everything
    else is intake's validation."""

    def value(name: str) -> str | None:
        raw = form.get(name)
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    check_jurisdiction(value("jurisdiction_id"))
    service_code = value("service_code")
    if service_code is None:
        raise bad_request("service_code: wajib diisi.")
    if service_code not in catalogue.categories:
        raise Open311Error(404, ["service_code tidak dikenal."])
    problems: list[str] = []
    lat_raw, long_raw, address = value("lat"), value("long"), value("address_string")
    location: dict[str, Any] = {}
    if (lat_raw is None) != (long_raw is None):
        problems.append("lat dan long harus dikirim keduanya.")
    elif lat_raw is not None and long_raw is not None:
        lat, lng = _number("lat", lat_raw, problems), _number("long", long_raw, problems)
        if lat is not None and lng is not None:
            location.update(lat=lat, lng=lng)
            place = locate(lat, lng)
            if place is None:
                problems.append("lat/long: titik lokasi berada di luar Kota Jambi.")
            else:
                location.update(kecamatan=place[0], kelurahan=place[1])
    if not location and address is None:
        problems.append(
            "Lokasi wajib: kirim lat dan long, atau address_string"
            + (" (address_id tidak didukung)." if value("address_id") else ".")
        )
    if problems:
        raise bad_request(*problems)
    if address is not None:
        location["address"] = address
    # A kecamatan/kelurahan the client chose wins over the point: the polygons are simplified and a point near a
    # border may fall on the neighbour's side.
    chosen_kecamatan, chosen_kelurahan = value("attribute[kecamatan]"), value("attribute[kelurahan]")
    if chosen_kecamatan is not None:
        location["kecamatan"] = chosen_kecamatan
    if chosen_kelurahan is not None:
        location["kelurahan"] = chosen_kelurahan
    elif chosen_kecamatan is not None and not str(location.get("kelurahan", "")).startswith(chosen_kecamatan + "."):
        location.pop("kelurahan", None)
    body: dict[str, Any] = {"category": service_code, "location": location}
    description = value("description")
    if description is not None:
        body["description"] = description
    privacy = value("attribute[privacy]")
    if privacy is not None:
        body["privacy"] = privacy
    name = " ".join(part for part in (value("first_name"), value("last_name")) if part)
    phone = value("phone")
    if privacy != "anonymous" and (name or phone):
        body["reporter"] = {key: item for key, item in (("name", name or None), ("phone", phone)) if item}
    return body


def open311_field(our_field: str) -> str:
    return FIELD_NAMES.get(our_field, our_field)


def post_response(tracking_code: str, pin: str, status_url: str, notice: str | None) -> list[dict[str, Any]]:
    """POST requests answer: the id at once (type realtime). The PIN is in the notice, shown once, as the web
    form shows it: the receipt SMS asks for it, and Firestore keeps only its salted hash."""
    text = (
        f"Laporan diterima dengan kode {format_tracking_code(tracking_code)} dan PIN {pin}. "
        f"Simpan keduanya untuk melihat status di {status_url}."
    )
    return [
        {
            "service_request_id": tracking_code,
            "service_notice": f"{text} {notice}" if notice else text,
            "account_id": None,
        }
    ]


# --- encodings -----------------------------------------------------------------------------------------------------

XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
"""The spec's element name for each member of a list (Spark convention, read backwards)."""


def _xml_value(parent: Any, name: str, value: Any) -> None:
    import xml.etree.ElementTree as ET

    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _xml_value(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _xml_value(element, XML_ITEMS[name], item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, payload: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """`payload` as the spec's XML: a list becomes `<root><item>...</item></root>`, a mapping its elements."""
    # Imported here: only the open311 target writes XML, and every target imports this module through main.py.
    import xml.etree.ElementTree as ET

    element = ET.Element(root)
    items: Iterable[tuple[str, Any]] = (
        payload.items() if isinstance(payload, Mapping) else ((XML_ITEMS[root], item) for item in payload)
    )
    for name, value in items:
        _xml_value(element, name, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")
