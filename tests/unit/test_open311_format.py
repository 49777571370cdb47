"""Open311 GeoReport v2 in the domain: services, the public view, query and POST arguments, errors, JSON and XML."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from bahagia import open311
from bahagia.catalogue import catalogue
from bahagia.codes import new_tracking_code
from open311.locator import kelurahan_locator

CODE = new_tracking_code()
NOW = dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)
# The spec's field lists (GeoReport v2, "Response" tables), in the spec's order.
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
    "address_id", "zipcode", "lat", "long", "media_url",
]  # fmt: skip
# A point well inside Kelurahan Simpang IV Sipin (15.71.01.1001, Kecamatan Telanaipura).
INSIDE = (-1.61557, 103.57677)


def _doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "tracking_code": CODE,
        "kind": "complaint",
        "category": "infrastruktur",
        "privacy": "public",
        "status": "diterima",
        "kecamatan": "15.71.01",
        "kelurahan": "15.71.01.1001",
        "suggested_opd": "dinas-pupr",
        "opd": None,
        "submitted_at": NOW,
        "status_changed_at": NOW,
        "due_at": NOW + dt.timedelta(days=3),
        "complaint": {
            "description": "Jalan berlubang di depan rumah Bapak Budi, Jl. Contoh No. 7",
            "location": {"address": "Jl. Contoh No. 7", "lat": -1.615571234, "lng": 103.576771234},
        },
        "reporter": {"name": "Budi Contoh", "phone": "+6281311112222"},
    }
    doc.update(over)
    return doc


def test_services_are_the_complaint_categories_with_the_spec_fields() -> None:
    services = open311.services(catalogue())
    assert [s["service_code"] for s in services] == [c["id"] for c in catalogue().raw["complaint_categories"]]
    for service in services:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] == "realtime"
        assert service["metadata"] is True


def test_a_service_definition_offers_optional_attributes_and_404_for_an_unknown_code() -> None:
    definition = open311.service_definition(catalogue(), "lingkungan")
    assert definition["service_code"] == "lingkungan"
    codes = [a["code"] for a in definition["attributes"]]
    assert codes == ["kecamatan", "kelurahan", "privacy"]
    assert all(a["required"] is False and a["datatype"] == "singlevaluelist" for a in definition["attributes"])
    assert len(definition["attributes"][1]["values"]) == 68
    with pytest.raises(open311.Open311Error) as raised:
        open311.service_definition(catalogue(), "nope")
    assert raised.value.status == 404


def test_the_public_view_has_the_spec_fields_and_no_personal_data() -> None:
    view = open311.request_view(_doc(), catalogue())
    assert list(view) == REQUEST_FIELDS
    text = json.dumps(view)
    for personal in ("Budi", "6281311112222", "Contoh No. 7", "berlubang"):
        assert personal not in text
    assert view["service_request_id"] == CODE
    assert view["status"] == "open"
    assert view["status_notes"] == "Diterima"
    assert view["address"] == "Kel. Simpang IV Sipin, Kec. Telanaipura, Kota Jambi"
    assert (view["lat"], view["long"]) == (-1.616, 103.577)
    assert view["agency_responsible"] == catalogue().opd["dinas-pupr"]
    assert view["requested_datetime"] == "2026-12-02T14:00:00+07:00"
    assert view["expected_datetime"] == "2026-12-05T14:00:00+07:00"
    assert "3 hari kerja" in view["service_notice"]


@pytest.mark.parametrize(("status", "public"), [("diterima", "open"), ("ditindaklanjuti", "open"),
                                                ("selesai", "closed"), ("ditolak", "closed")])  # fmt: skip
def test_status_is_open_or_closed_from_the_lifecycle(status: str, public: str) -> None:
    view = open311.request_view(_doc(status=status), catalogue())
    assert view["status"] == public
    assert (view["expected_datetime"] is None) == (public == "closed")
    assert (view["service_notice"] is None) == (public == "closed")


@pytest.mark.parametrize(
    ("over", "public"),
    [
        ({}, True),
        ({"privacy": "anonymous"}, True),
        ({"privacy": "confidential"}, False),
        ({"category": "pungli", "privacy": "public"}, False),
        ({"category": "pungli", "privacy": "anonymous"}, False),
        ({"kind": "application", "category": None}, False),
    ],
)
def test_pungli_confidential_and_applications_are_never_public(over: dict[str, Any], public: bool) -> None:
    assert open311.is_public(_doc(**over)) is public
    query = open311.RequestQuery()
    assert open311.matches(_doc(**over), query) is public


def test_the_query_defaults_to_the_last_90_days_and_checks_its_arguments() -> None:
    query = open311.parse_request_query({}, catalogue(), NOW)
    assert (query.start, query.end) == (NOW - dt.timedelta(days=90), NOW)
    query = open311.parse_request_query(
        {"status": "open,closed", "service_code": "lingkungan,infrastruktur", "start_date": "2026-11-01T00:00:00Z"},
        catalogue(),
        NOW,
    )
    assert query.statuses == ("open", "closed")
    assert query.service_codes == ("lingkungan", "infrastruktur")
    assert query.start == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert query.end == query.start + dt.timedelta(days=90)


@pytest.mark.parametrize(
    "args",
    [
        {"status": "pending"},
        {"service_code": "nope"},
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_query_arguments_are_400_in_the_spec_error_shape(args: dict[str, str]) -> None:
    with pytest.raises(open311.Open311Error) as raised:
        open311.parse_request_query(args, catalogue(), NOW)
    assert raised.value.status == 400
    payload = raised.value.payload()
    assert payload
    assert all(set(entry) == {"code", "description"} and entry["code"] == 400 for entry in payload)


def test_service_request_id_overrides_everything_and_drops_what_cannot_be_a_code() -> None:
    query = open311.parse_request_query(
        {"service_request_id": f"{CODE.lower()}, 12345", "status": "bogus"}, catalogue(), NOW
    )
    assert query.service_request_ids == (CODE,)


def test_a_wrong_jurisdiction_is_404_and_ours_or_none_is_fine() -> None:
    open311.check_jurisdiction(None)
    open311.check_jurisdiction("jambikota.go.id")
    with pytest.raises(open311.Open311Error) as raised:
        open311.check_jurisdiction("sfgov.org")
    assert raised.value.status == 404


# --- POST ----------------------------------------------------------------------------------------------------------


def _locate(lat: float, lng: float) -> tuple[str, str] | None:
    return kelurahan_locator()(lat, lng)


def test_a_post_becomes_a_complaint_body_with_the_place_from_the_point() -> None:
    form = {
        "api_key": "k",
        "jurisdiction_id": "jambikota.go.id",
        "service_code": "infrastruktur",
        "lat": str(INSIDE[0]),
        "long": str(INSIDE[1]),
        "address_string": "Depan Pasar",
        "description": "Jalan berlubang membahayakan pengendara.",
        "first_name": "Budi",
        "last_name": "Contoh",
        "phone": "0813-1111-2222",
        "email": "budi@example.org",
        "device_id": "d-1",
        "media_url": "https://example.org/p.jpg",
    }
    body = open311.complaint_from_post(form, catalogue(), _locate)
    assert body == {
        "category": "infrastruktur",
        "description": "Jalan berlubang membahayakan pengendara.",
        "location": {
            "lat": INSIDE[0],
            "lng": INSIDE[1],
            "kecamatan": "15.71.01",
            "kelurahan": "15.71.01.1001",
            "address": "Depan Pasar",
        },
        "reporter": {"name": "Budi Contoh", "phone": "0813-1111-2222"},
    }


def test_an_anonymous_post_carries_no_reporter_and_attributes_set_the_place() -> None:
    form = {
        "service_code": "lingkungan",
        "address_string": "Taman kota",
        "attribute[kecamatan]": "15.71.04",
        "attribute[privacy]": "anonymous",
        "first_name": "Budi",
        "phone": "0813-1111-2222",
        "description": "Sampah menumpuk sejak seminggu.",
    }
    body = open311.complaint_from_post(form, catalogue(), _locate)
    assert "reporter" not in body
    assert body["privacy"] == "anonymous"
    assert body["location"] == {"address": "Taman kota", "kecamatan": "15.71.04"}


def test_a_chosen_kecamatan_drops_a_kelurahan_of_another_kecamatan() -> None:
    form = {"service_code": "lingkungan", "lat": str(INSIDE[0]), "long": str(INSIDE[1]),
            "attribute[kecamatan]": "15.71.04"}  # fmt: skip
    location = open311.complaint_from_post(form, catalogue(), _locate)["location"]
    assert location["kecamatan"] == "15.71.04"
    assert "kelurahan" not in location


@pytest.mark.parametrize(
    ("form", "status", "fragment"),
    [
        ({}, 400, "service_code"),
        ({"service_code": "banjir"}, 404, "service_code"),
        ({"service_code": "lingkungan"}, 400, "Lokasi wajib"),
        ({"service_code": "lingkungan", "address_id": "A-1"}, 400, "address_id tidak didukung"),
        ({"service_code": "lingkungan", "lat": "-1.6"}, 400, "lat dan long"),
        ({"service_code": "lingkungan", "lat": "x", "long": "103.6"}, 400, "lat: harus berupa angka"),
        ({"service_code": "lingkungan", "lat": "nan", "long": "103.6"}, 400, "lat: harus berupa angka"),
        ({"service_code": "lingkungan", "lat": "-6.2", "long": "106.8"}, 400, "di luar Kota Jambi"),
        ({"service_code": "lingkungan", "address_string": "x", "jurisdiction_id": "sfgov.org"}, 404, "jurisdiction"),
    ],
)
def test_post_arguments_only_open311_can_get_wrong_are_refused(
    form: dict[str, str], status: int, fragment: str
) -> None:
    with pytest.raises(open311.Open311Error) as raised:
        open311.complaint_from_post(form, catalogue(), _locate)
    assert raised.value.status == status
    assert any(fragment in text for text in raised.value.descriptions)


def test_the_post_answer_gives_the_id_and_the_pin_once_in_the_notice() -> None:
    answer = open311.post_response(CODE, "123456", "https://bahagia.jambikota.go.id/status", "Verifikasi 3 hari.")
    assert list(answer[0]) == ["service_request_id", "service_notice", "account_id"]
    assert answer[0]["service_request_id"] == CODE
    assert "PIN 123456" in answer[0]["service_notice"]


# --- the locator ---------------------------------------------------------------------------------------------------


def test_every_kelurahan_contains_its_own_inner_point_and_outside_is_none() -> None:
    from shapely.geometry import shape

    from open311.locator import _boundaries

    locate = kelurahan_locator()
    for feature in _boundaries()["features"]:
        point = shape(feature["geometry"]).representative_point()
        assert locate(point.y, point.x) == (feature["properties"]["kecamatan"], feature["properties"]["code"])
    assert locate(-6.2, 106.8) is None  # Jakarta
    assert locate(-1.50, 103.47) is None  # inside the validator's bounding box, far from any kelurahan


# --- encodings -----------------------------------------------------------------------------------------------------


def _parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 -- our own output, not untrusted input


def test_xml_follows_the_spec_element_names() -> None:
    xml = open311.to_xml("services", open311.services(catalogue())[:2])
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = _parse(xml)
    assert root.tag == "services"
    assert [child.tag for child in root] == ["service", "service"]
    assert [child.tag for child in root[0]] == SERVICE_FIELDS
    assert root[0].findtext("metadata") == "true"

    errors = _parse(open311.to_xml("errors", open311.forbidden().payload()))
    assert errors[0].tag == "error"
    assert errors[0].findtext("code") == "403"

    requests = _parse(open311.to_xml("service_requests", [open311.request_view(_doc(), catalogue())]))
    assert [child.tag for child in requests[0]] == REQUEST_FIELDS
    assert requests[0].findtext("description") == ""  # an empty element, as in the spec example

    discovery = open311.discovery("https://x.example/open311/v2", "2026-12-02", "kontak", "kunci")
    root = _parse(open311.to_xml("discovery", discovery))
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]
    definition = _parse(open311.to_xml("service_definition", open311.service_definition(catalogue(), "budaya")))
    assert definition.find("attributes/attribute/values/value/key") is not None
