"""HTTP target sms_webhook: POST /v1/sms/inbound (texts citizens send) and POST /v1/sms/receipts (delivery receipts).

Both paths take either provider (edge.sms_signatures): an SNS HTTPS subscription (SigningCertURL, signature versions 1
and 2, a SubscriptionConfirmation confirmed by a GET of its SubscribeURL) or the HTTP gateway's `X-Bahagia-Signature`.
Unsigned or badly signed calls are 401 and leave nothing behind. A verified body that is not the documented shape is
400 (the provider's problem, not worth a retry); a transient failure is 503, which both providers deliver again.
"""

from __future__ import annotations

import datetime as dt

import flask
import functions_framework

import bootstrap
from bahagia import errors
from bahagia import sms_inbound as si
from edge.http import endpoint, json_response
from logs import get_logger

log = get_logger("bahagia.sms_webhook")

INBOUND_PATH = "/v1/sms/inbound"
RECEIPTS_PATH = "/v1/sms/receipts"
MAX_BODY_BYTES = 256 * 1024
"""An SNS message is at most 256 KiB; no text or receipt comes near it."""


def _project() -> str:
    return bootstrap.settings().project_id


def _raw_body(request: flask.Request) -> bytes:
    too_large = errors.BahagiaError("body_too_large", "Isi permintaan terlalu besar.", 413)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    raw: bytes = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    return raw


def _verified(
    request: flask.Request, raw: bytes, receipts: bool, now: dt.datetime
) -> si.InboundSms | si.DeliveryReceipt | None:
    """The text or receipt a provider provably sent; None for an SNS subscription message (handled here)."""
    from edge import sms_signatures as sig
    from inbound import parsing

    header = request.headers.get(sig.SIGNATURE_HEADER)
    if header is not None:
        secret = bootstrap.settings().sms_http_inbound_secret
        if secret is None:
            raise sig.SignatureError("gateway_not_configured")
        sig.verify_gateway_signature(header, raw, secret.get_secret_value().encode(), now)
        return parsing.gateway_receipt(raw) if receipts else parsing.gateway_text(raw, now)
    verifier = bootstrap.sns_verifier(receipts)
    if verifier is None:
        raise sig.SignatureError("sns_not_configured")
    message = verifier.verify(raw)
    if message.type == sig.SUBSCRIPTION_CONFIRMATION:
        try:
            bootstrap.sns_subscription_confirmer()(str(message.subscribe_url))
        except Exception:
            # SNS sends the confirmation again (its delivery policy) when the endpoint answers 5xx.
            log.warning("sns subscription not confirmed", exc_info=True, extra={"fields": {"topic": message.topic_arn}})
            raise errors.unavailable() from None
        log.info("sns subscription confirmed", extra={"fields": {"topic": message.topic_arn}})
        return None
    if message.type == sig.UNSUBSCRIBE_CONFIRMATION:
        log.warning("sns subscription ended", extra={"fields": {"topic": message.topic_arn}})
        return None
    return parsing.sns_receipt(message.message) if receipts else parsing.sns_text(message.message, now)


@functions_framework.http
@endpoint(["POST"], _project)
def sms_webhook(request: flask.Request) -> flask.Response:
    """POST /v1/sms/inbound and /v1/sms/receipts, signed by SNS or by the HTTP gateway."""
    from edge.sms_signatures import SignatureError
    from inbound import service

    path = request.path.rstrip("/")
    if path not in (INBOUND_PATH, RECEIPTS_PATH):
        raise errors.BahagiaError("not_found", "Alamat tidak ditemukan.", 404)
    raw, now = _raw_body(request), dt.datetime.now(dt.UTC)
    try:
        verified = _verified(request, raw, path == RECEIPTS_PATH, now)
    except SignatureError as error:
        log.warning("sms webhook refused", extra={"fields": {"reason": error.reason}})
        raise errors.BahagiaError("unauthorized", "Tanda tangan permintaan tidak valid.", 401) from None
    if verified is None:
        return json_response({"status": "ok"})
    responder = bootstrap.sms_responder()
    try:
        if isinstance(verified, si.DeliveryReceipt):
            result = service.record_receipt(responder, verified, now)
            log.info("delivery receipt", extra={"fields": {"provider": verified.provider, "result": result}})
            return json_response({"status": result})
        answered = service.answer_text(responder, verified, now)
    except service.RetryLater as retry:
        log.warning("sms webhook retry later", extra={"fields": {"reason": str(retry)}})
        return json_response({"status": "retry"}, 503, {"Retry-After": "10"})
    fields = {"provider": verified.provider, "command": answered.command, "outcome": answered.outcome}
    log.info("inbound sms", extra={"fields": {**fields, "duplicate": answered.duplicate}})
    return json_response({"status": answered.outcome.value})
