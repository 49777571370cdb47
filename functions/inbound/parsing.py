"""What the SMS webhook receives, after its signature is verified, as typed values: an inbound text or a receipt.

The HTTP gateway's bodies are ours to define (docs/SMS.md); the SNS ones are AWS End User Messaging SMS's: the
two-way payload (`originationNumber`, `destinationNumber`, `messageKeyword`, `messageBody`, `inboundMessageId`,
`previousPublishedMessageId`) and the SMS event (`eventType`, `messageId`, `isFinal`, ...), each the `Message` of an
SNS notification.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bahagia import errors
from bahagia import sms_inbound as si

MAX_MESSAGE_ID = 200


def json_object(text: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise errors.malformed("Isi pesan bukan JSON.") from None
    if not isinstance(value, dict):
        raise errors.malformed("Isi pesan bukan objek JSON.")
    return value


def _inbound(provider: str, message_id: Any, sender: Any, text: Any, now: dt.datetime) -> si.InboundSms:
    if not isinstance(message_id, str) or not message_id or not isinstance(sender, str) or not isinstance(text, str):
        raise errors.malformed("Pesan masuk harus berisi id pesan, nomor pengirim dan teks.")
    return si.InboundSms(provider, message_id[:MAX_MESSAGE_ID], sender, text, now)


def gateway_text(raw: bytes, now: dt.datetime) -> si.InboundSms:
    """`{"message_id", "from", "to", "text", "received_at"}` from the HTTP gateway."""
    body = json_object(raw)
    return _inbound("http", body.get("message_id"), body.get("from"), body.get("text"), now)


def sns_text(message: str, now: dt.datetime) -> si.InboundSms:
    body = json_object(message)
    return _inbound("sns", body.get("inboundMessageId"), body.get("originationNumber"), body.get("messageBody"), now)


def gateway_receipt(raw: bytes) -> si.DeliveryReceipt:
    try:
        return si.receipt_from_gateway(json_object(raw))
    except si.ReceiptError as error:
        raise errors.malformed(f"Bukan laporan pengiriman ({error}).") from None


def sns_receipt(message: str) -> si.DeliveryReceipt:
    try:
        return si.receipt_from_aws_event(json_object(message))
    except si.ReceiptError as error:
        raise errors.malformed(f"Bukan laporan pengiriman ({error}).") from None
