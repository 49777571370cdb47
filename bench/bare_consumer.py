"""The baseline of bench/notify.py: a bare push consumer that reads one document and sends one SNS message.

Clients are built at import on purpose: this is the simplest consumer anyone would write, not our house style. It
runs under functions-framework as send_sms_notification does (same CloudEvent conversion of the push body), behind the
same push subscription, against the same Firestore emulator and moto.

No records, no exactly-once, no opt-out, no daily cap, no templates: what any SMS consumer costs at least.
"""

from __future__ import annotations

import base64
import json
import os

import boto3
import functions_framework
from google.cloud import firestore

_db = firestore.Client(project=os.environ["BAHAGIA_PROJECT_ID"])
_sns = boto3.client(
    "sns", region_name="ap-southeast-3", endpoint_url=os.environ["BAHAGIA_SNS_ENDPOINT_URL"],
    aws_access_key_id="bench", aws_secret_access_key="bench",  # noqa: S106 -- moto accepts any key
)  # fmt: skip


@functions_framework.cloud_event
def bare_notify(cloud_event):  # type: ignore[no-untyped-def]
    event = json.loads(base64.b64decode(cloud_event.data["message"]["data"]))
    submission = _db.collection("submissions").document(event["tracking_code"]).get().to_dict()
    _sns.publish(
        PhoneNumber=submission["applicant"]["phone"], Message=f"Pemkot Jambi: {event['tracking_code']} diterima"
    )
