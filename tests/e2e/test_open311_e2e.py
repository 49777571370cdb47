"""Open311 GeoReport v2 through the running stack: posted as the spec's example request does, read back with an
existing client library (georeport, from PyPI) used as its users use it, in JSON and in XML."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import requests
from georeport import GeoReport
from google.cloud import firestore

LOCAL_API_KEY = "local-open311-key"  # devstack's BAHAGIA_OPEN311_API_KEYS
REPORTER = "+6281311112222"
INSIDE = ("-1.61557", "103.57677")  # Kelurahan Simpang IV Sipin, Kecamatan Telanaipura
JURISDICTION = "jambikota.go.id"


@pytest.fixture
def client(stack: Any, clean_emulators: Any) -> Any:
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        yield http


@pytest.fixture
def root(stack: Any) -> str:
    return f"{stack.base_url}/open311/v2"


def _post(client: Any, fmt: str = "json", **fields: str) -> httpx.Response:
    # As in the spec's "Example Request": form-encoded, api_key among the fields.
    form = {
        "api_key": LOCAL_API_KEY,
        "jurisdiction_id": JURISDICTION,
        "service_code": "infrastruktur",
        "lat": INSIDE[0],
        "long": INSIDE[1],
        "address_string": "Depan SD Negeri 1",
        "email": "budi@example.org",
        "device_id": "tt222111",
        "first_name": "Budi",
        "last_name": "Contoh",
        "phone": "0813-1111-2222",
        "description": "Lampu jalan mati sejak seminggu, gelap dan rawan.",
        "media_url": "https://example.org/lampu.jpg",
        **fields,
    }
    return client.post(
        f"/open311/v2/requests.{fmt}",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


def _sms(stack: Any, phone: str, count: int, timeout: float = 30) -> list[str]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        texts = [m["message"] for m in stack.sms_messages() if m["phone_number"] == phone]
        if len(texts) >= count:
            return texts
        time.sleep(0.3)
    return [m["message"] for m in stack.sms_messages() if m["phone_number"] == phone]


def test_a_post_is_stored_through_intake_and_gets_the_receipt_sms(client: Any, stack: Any) -> None:
    response = _post(client)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    [answer] = response.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    code = answer["service_request_id"]
    stored = firestore.Client(project=stack.project_id).collection("submissions").document(code).get().to_dict()
    assert stored is not None
    assert stored["channel"] == "open311"
    assert (stored["kecamatan"], stored["kelurahan"]) == ("15.71.01", "15.71.01.1001")
    assert stored["reporter"] == {"name": "Budi Contoh", "phone": REPORTER}
    [receipt] = _sms(stack, REPORTER, 1)
    assert f"{code[:4]}-{code[4:]}" in receipt


def test_a_post_in_xml_answers_xml(client: Any) -> None:
    response = _post(client, "xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # noqa: S314 -- our own server's answer
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id") is not None


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"api_key": "wrong"}, 403), ({"api_key": ""}, 403), ({"service_code": "banjir"}, 404),
     ({"jurisdiction_id": "sfgov.org"}, 404), ({"description": "x"}, 400), ({"lat": "-6.2", "long": "106.8"}, 400)],
)  # fmt: skip
def test_bad_posts_get_the_spec_error_shape_and_store_nothing(
    client: Any, stack: Any, fields: dict[str, str], status: int
) -> None:
    response = _post(client, **fields)
    assert response.status_code == status
    errors = response.json()
    assert isinstance(errors, list)
    assert errors
    assert all(set(e) == {"code", "description"} for e in errors)
    assert list(firestore.Client(project=stack.project_id).collection("submissions").stream()) == []


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests_without_pungli_or_confidential(
    client: Any, root: str, output_format: str
) -> None:
    public = _post(client).json()[0]["service_request_id"]
    confidential = _post(client, **{"attribute[privacy]": "confidential"}).json()[0]["service_request_id"]
    pungli = _post(client, service_code="pungli", **{"attribute[privacy]": "public"}).json()[0]["service_request_id"]

    georeport = GeoReport(root, jurisdiction=JURISDICTION, output_format=output_format)
    services = georeport.get_service_list()
    assert {s["service_code"] for s in services} >= {"infrastruktur", "pungli", "aspirasi"}
    definition = georeport.get_service_definition("infrastruktur")
    assert definition["service_code"] == "infrastruktur"

    listed = georeport.get_service_requests()
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives a dict for a single element
    ids = {r["service_request_id"] for r in listed}
    assert public in ids
    assert confidential not in ids
    assert pungli not in ids
    for request in listed:
        assert "Budi" not in str(request)
        assert "Lampu jalan" not in str(request)

    one = georeport.get_service_request(public)
    assert one["service_request_id"] == public
    assert one["status"] == "open"
    assert one["service_code"] == "infrastruktur"
    for hidden in (confidential, pungli):
        with pytest.raises(requests.HTTPError) as raised:
            georeport.get_service_request(hidden)
        assert raised.value.response is not None
        assert raised.value.response.status_code == 404

    still_open = georeport.get_service_requests(status="open", service_code="infrastruktur")
    still_open = still_open if isinstance(still_open, list) else [still_open]
    assert public in {r["service_request_id"] for r in still_open}
    # Nothing is closed yet. (Through the client only in JSON: georeport 0.3.1 fails on an empty XML list, whose
    # <service_requests/> xmltodict reads as None; the XML itself is as the spec shows.)
    assert client.get("/open311/v2/requests.json", params={"status": "closed"}).json() == []
    empty = client.get("/open311/v2/requests.xml", params={"status": "closed"})
    assert ET.fromstring(empty.content).tag == "service_requests"  # noqa: S314 -- our own answer


def test_discovery_in_both_formats(client: Any, root: str) -> None:
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert discovery["endpoints"][0]["url"] == root
    xml = client.get("/open311/v2/discovery.xml")
    assert ET.fromstring(xml.content).findtext("endpoints/endpoint/url") == root  # noqa: S314 -- our own answer
