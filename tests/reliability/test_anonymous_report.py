"""Issue 7, item 4: an anonymous BALAP (pungli) report leaves no identifying data anywhere — not the reporter's name
or phone that the form happened to carry, not the request's IP address or user agent — in Firestore, in the events,
in SMS, or in any component's log. (The session-wide guard in tests/privacy.py checks the logs of every other test.)
"""

# A property is clearer as one compound assertion.
# ruff: noqa: PT018

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bahagia.submissions import body_fingerprint
from tests import samples
from tests.privacy import PersonalData
from tests.reliability.conftest import TAP, ReliabilityStack
from tests.reliability.harness import stored_documents, wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

USER_AGENT = "Mozilla/5.0 (Linux; Android 13; BalapUjiPonsel-7F3C) Mobile"
FORGED_IP = "198.51.100.201"
# The client connects from its own loopback address, so that "its IP address" is a value nothing else uses (the
# API's own URLs say 127.0.0.1).
CLIENT_IP = "127.0.0.77"
REPORTER = {"name": "Pelapor Rahasia Uji", "phone": "0853-1777-2468"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _everything_stored(rs: ReliabilityStack) -> str:
    """Every document of the project, subcollections included, as one text."""

    def walk(collection: Any) -> list[Any]:
        out = []
        for snap in collection.stream():
            out.append({"path": snap.reference.path, "data": snap.to_dict()})
            for sub in snap.reference.collections():
                out.extend(walk(sub))
        return out

    return json.dumps([doc for coll in rs.db.collections() for doc in walk(coll)], default=str, ensure_ascii=False)


def test_an_anonymous_balap_report_leaves_no_identifying_data_anywhere(
    reliability_stack: ReliabilityStack, personal_data: PersonalData
) -> None:
    rs = reliability_stack
    rs.reset()
    personal_data.register(name=REPORTER["name"], phone=REPORTER["phone"], owner=None)  # nobody may see these
    body = samples.complaint(
        category="pungli",
        privacy="anonymous",
        description="Oknum petugas meminta uang pelicin untuk mempercepat pengurusan surat keterangan.",
        reporter=dict(REPORTER),
    )
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": FORGED_IP}
    transport = httpx.HTTPTransport(local_address=CLIENT_IP)
    with httpx.Client(base_url=rs.base_url, timeout=30, headers=headers, transport=transport) as client:
        as_json = client.post("/v1/complaints", json=body, headers={"Idempotency-Key": "balap-anon-json-01"})
        as_form = client.post(
            "/v1/complaints",
            content=urlencode([*samples.flatten(body), ("idempotency_key", "balap-anon-form-01")]),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT},
        )
        code = as_json.json()["tracking_code"]
        status = client.get(f"/v1/track/{code}", params={"pin": as_json.json()["pin"]})
    assert as_json.status_code == 201 and as_json.json()["privacy"] == "anonymous"
    assert as_form.status_code == 303
    assert status.status_code == 200 and "reporter" not in status.text

    # Both events out and handled by notify (which sends nothing: there is nobody to send to).
    events: list[dict[str, Any]] = []

    def both_events_seen() -> bool:
        events.extend(rs.pubsub.drain(TAP))
        return len(events) >= 2

    assert wait_until(both_events_seen, 60)
    assert wait_until(lambda: rs.stack.log("send_sms_notification").count("no_recipient") >= 2, 60)
    time.sleep(1.0)

    stored = _everything_stored(rs)
    documents = stored_documents(rs.db)
    submissions = list(documents["submissions"].values())
    assert len(submissions) == 2 and all(s["privacy"] == "anonymous" and "reporter" not in s for s in submissions)
    assert "notifications" not in documents  # no SMS record either: there is no recipient
    texts = {"Firestore": stored, "events": json.dumps([e["text"] for e in events])}
    for component in ("gateway", *rs.stack.function_urls):
        texts[f"the log of {component}"] = rs.stack.log(component)
    for where, text in texts.items():
        assert not personal_data.scan(text, where), f"the reporter's name or phone is in {where}"
        assert "BalapUjiPonsel" not in text, f"the user agent is in {where}"
        assert FORGED_IP not in text, f"the forwarded address is in {where}"
    for where, text in texts.items():
        if where != "the log of gateway":  # the stand-in for Google's load balancer, whose request log has it too
            assert CLIENT_IP not in text, f"the client's address is in {where}"
    # Not even a fingerprint from which a suspect's name and phone could be confirmed by hashing a guess.
    assert body_fingerprint({"kind": "complaint", "body": body}) not in stored
    assert not [m for m in rs.emulators.sms_messages() if m["phone_number"].endswith("85317772468")]
