"""The baseline of bench/intake.py: a bare functions-framework handler doing one Firestore commit and one publish.

Clients are built at import on purpose: this is the simplest handler anyone would write, not our house style.

No validation, no idempotency, no markers: what any intake would cost at least on the same emulators.
"""

from __future__ import annotations

import json
import os
import uuid

import functions_framework
from google.cloud import firestore, pubsub_v1

_db = firestore.Client(project=os.environ["BAHAGIA_PROJECT_ID"])
_publisher = pubsub_v1.PublisherClient(batch_settings=pubsub_v1.types.BatchSettings(max_messages=1, max_latency=0.001))
_topic = _publisher.topic_path(os.environ["BAHAGIA_PROJECT_ID"], "submission-events")


@functions_framework.http
def bare_submit(request):  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    doc_id = uuid.uuid4().hex
    _db.collection("bare").document(doc_id).create({"body": body})
    _publisher.publish(_topic, json.dumps({"id": doc_id}).encode(), type="bare").result(timeout=10)
    return {"id": doc_id}, 201
