"""HTTP target sms_webhook: POST /v1/sms/inbound (texts citizens send) and POST /v1/sms/receipts (delivery receipts).

Both paths take either provider (inbound.signatures): an SNS HTTPS subscription (SigningCertURL, signature versions 1
and 2, SubscriptionConfirmation confirmed by a GET of its SubscribeURL) or the HTTP gateway's `X-Bahagia-Signature`.
Unsigned or badly signed calls are 401 and leave nothing behind. A verified body that is not the documented shape is
400 (the provider's problem, not worth a retry); a transient failure is 503, which both providers deliver again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import flask
import functions_framework

import bootstrap
from bahagia import errors
from bahagia import sms_inbound as si
from web import logs
from web.http import endpoint, json_response

log = logs.get_logger("bahagia.sms_webhook")

INBOUND_PATH = "/v1/sms/inbound"
RECEIPTS_PATH = "/v1/sms/receipts"
MAX_BODY_BYTES = 256 * 1024


def _project() -> str:
    return bootstrap.settings().project_id


def _unauthorized(reason: str) -> errors.BahagiaError:
    log.warning("sms webhook refused", extra={"fields": {"reason": reason}})
    return errors.BahagiaError("unauthorized", "Tanda tangan permintaan tidak valid.", 401)


def _raw_body(request: flask.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise errors.BahagiaError("body_too_large", "Isi permintaan terlalu besar.", 413)
    raw: bytes = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise errors.BahagiaError("body_too_large", "Isi permintaan terlalu besar.", 413)
    return raw


def _json_object(text: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise errors.malformed("Isi pesan bukan JSON.") from None
    if not isinstance(value, dict):
        raise errors.malformed("Isi pesan bukan objek JSON.")
    return value


def _gateway_inbound(body: dict[str, Any], now: dt.datetime) -> si.InboundSms:
    message_id, sender, text = body.get("message_id"), body.get("from"), body.get("text")
    if not isinstance(message_id, str) or not message_id or not isinstance(sender, str) or not isinstance(text, str):
        raise errors.malformed("Pesan masuk harus berisi message_id, from dan text.")
    return si.InboundSms("http", message_id[:200], sender, text, now)


def _sns_inbound(message: str, now: dt.datetime) -> si.InboundSms:
    # AWS End User Messaging SMS two-way payload: originationNumber, destinationNumber, messageKeyword,
    # messageBody, inboundMessageId, previousPublishedMessageId.
    body = _json_object(message)
    message_id, sender, text = body.get("inboundMessageId"), body.get("originationNumber"), body.get("messageBody")
    if not isinstance(message_id, str) or not message_id or not isinstance(sender, str) or not isinstance(text, str):
        raise errors.malformed("Pesan SNS bukan SMS dua arah.")
    return si.InboundSms("sns", message_id[:200], sender, text, now)


@functions_framework.http
@endpoint(["POST"], _project)
def sms_webhook(request: flask.Request) -> flask.Response:
    """POST /v1/sms/inbound and /v1/sms/receipts, signed by SNS or by the HTTP gateway."""
    from inbound import service
    from inbound.signatures import (
        SIGNATURE_HEADER,
        SUBSCRIPTION_CONFIRMATION,
        UNSUBSCRIBE_CONFIRMATION,
        SignatureError,
        verify_gateway_signature,
    )

    path = request.path.rstrip("/")
    if path not in (INBOUND_PATH, RECEIPTS_PATH):
        raise errors.BahagiaError("not_found", "Alamat tidak ditemukan.", 404)
    receipts = path == RECEIPTS_PATH
    raw = _raw_body(request)
    now = dt.datetime.now(dt.UTC)
    settings = bootstrap.settings()
    try:
        if request.headers.get(SIGNATURE_HEADER) is not None:
            secret = settings.sms_http_inbound_secret
            if secret is None:
                raise SignatureError("gateway_not_configured")
            verify_gateway_signature(
                request.headers.get(SIGNATURE_HEADER), raw, secret.get_secret_value().encode(), now
            )
            body = _json_object(raw)
            receipt = si.receipt_from_gateway(body) if receipts else None
            inbound = None if receipts else _gateway_inbound(body, now)
        else:
            verifier = bootstrap.sns_verifier(receipts)
            if verifier is None:
                raise SignatureError("sns_not_configured")
            message = verifier.verify(raw)
            if message.type == SUBSCRIPTION_CONFIRMATION:
                bootstrap.sns_subscription_confirmer()(str(message.subscribe_url))
                log.info("sns subscription confirmed", extra={"fields": {"topic": message.topic_arn}})
                return json_response({"status": "confirmed"})
            if message.type == UNSUBSCRIBE_CONFIRMATION:
                log.warning("sns subscription ended", extra={"fields": {"topic": message.topic_arn}})
                return json_response({"status": "ok"})
            receipt = si.receipt_from_aws_event(_json_object(message.message)) if receipts else None
            inbound = None if receipts else _sns_inbound(message.message, now)
    except SignatureError as error:
        raise _unauthorized(error.reason) from None
    except si.ReceiptError as error:
        raise errors.malformed(f"Bukan laporan pengiriman ({error}).") from None
    responder = bootstrap.sms_responder()
    try:
        if receipt is not None:
            result = service.record_receipt(responder, receipt, now)
            log.info("delivery receipt", extra={"fields": {"provider": receipt.provider, "result": result}})
            return json_response({"status": result})
        assert inbound is not None
        answered = service.answer_text(responder, inbound, now)
    except service.RetryLater as retry:
        log.warning("sms webhook retry later", extra={"fields": {"reason": str(retry)}})
        return json_response({"status": "retry"}, 503, {"Retry-After": "10"})
    log.info(
        "inbound sms",
        extra={"fields": {"provider": inbound.provider, "command": answered.command, "outcome": answered.outcome,
                          "duplicate": answered.duplicate}},
    )  # fmt: skip
    return json_response({"status": answered.outcome.value})
