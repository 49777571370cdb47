"""The provider adapters classify every answer: sent, transient (retry via Pub/Sub) or permanent (record, ack)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.stub import Stubber

from adapters.sms_http import HttpGatewaySms
from adapters.sms_sns import SnsSms, sns_client
from bahagia.notifications import FailureReason
from ports import PermanentSmsError, SmsError, TransientSmsError

PHONE = "+6281234567890"


@pytest.fixture
def sns() -> Any:
    return sns_client("ap-southeast-3", "http://127.0.0.1:9", 1.0)


def test_sns_publishes_a_transactional_sms_with_the_sender_id(sns: Any) -> None:
    with Stubber(sns) as stub:
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": ["+6281299999999"]}, {})
        stub.add_response(
            "publish",
            {"MessageId": "m-1"},
            {
                "PhoneNumber": PHONE,
                "Message": "Halo",
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "PemkotJambi"},
                },
            },
        )
        assert SnsSms(sns, "PemkotJambi").send(PHONE, "Halo") == "m-1"
        stub.assert_no_pending_responses()


def test_sns_respects_its_own_opt_out_list_without_publishing(sns: Any) -> None:
    with Stubber(sns) as stub:
        # Two pages, as SNS gives them (100 numbers a page): a number on the second one is still found.
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": ["+6281299999999"], "nextToken": "p2"}, {})
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": [PHONE]}, {"nextToken": "p2"})
        with pytest.raises(PermanentSmsError) as raised:
            SnsSms(sns).send(PHONE, "Halo")
        stub.assert_no_pending_responses()  # publish was never called
    assert raised.value.reason is FailureReason.OPTED_OUT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSnsClient:
    """The two SNS calls SnsSms makes; `lists` are the answers to successive opt-out list loads (an Exception is
    raised), each load waits for `release` so that a test sees what is served while a reload runs."""

    def __init__(self, *lists: list[str] | Exception) -> None:
        import threading

        self.lists = list(lists)
        self.loads = 0
        self.published: list[str] = []
        self.release = threading.Event()
        self.release.set()
        self.loaded = threading.Event()

    def publish(self, PhoneNumber: str, Message: str, MessageAttributes: Any) -> dict[str, str]:
        self.published.append(PhoneNumber)
        return {"MessageId": f"m-{len(self.published)}"}

    def list_phone_numbers_opted_out(self, **kwargs: str) -> dict[str, Any]:
        self.release.wait(5)
        self.loads += 1
        answer = self.lists.pop(0)
        self.loaded.set()
        if isinstance(answer, Exception):
            raise answer
        return {"phoneNumbers": answer}


def _unavailable() -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "List")


def test_sns_loads_the_opt_out_list_once_per_max_age_not_once_per_sms() -> None:
    clock = Clock()
    client = FakeSnsClient([], [PHONE])
    sms = SnsSms(client, opt_out_max_age_seconds=300, clock=clock)
    assert sms.send(PHONE, "Halo") == "m-1"
    clock.now += 299
    assert sms.send("+6281234567891", "Halo") == "m-2"
    assert client.loads == 1

    # Past the max age the send is served from the list it has, while the new one loads in the background.
    clock.now += 2
    client.release.clear()
    client.loaded.clear()
    assert sms.send(PHONE, "Halo") == "m-3"
    client.release.set()
    assert client.loaded.wait(5)
    reasons = []
    for _ in range(100):
        try:
            sms.send(PHONE, "Halo")
        except PermanentSmsError as error:
            reasons.append(error.reason)
            break
        __import__("time").sleep(0.01)
    assert reasons == [FailureReason.OPTED_OUT], "the reloaded list was never used"
    assert client.loads == 2


def test_sns_keeps_its_opt_out_list_when_a_reload_fails_and_waits_only_for_the_first() -> None:
    clock = Clock()
    client = FakeSnsClient(_unavailable(), [PHONE], _unavailable())
    sms = SnsSms(client, opt_out_max_age_seconds=300, clock=clock)
    with pytest.raises(TransientSmsError):  # never loaded: nothing to go on, so Pub/Sub retries the event
        sms.send(PHONE, "Halo")
    sms.warm()
    clock.now += 301
    with pytest.raises(PermanentSmsError):  # the old list, while the reload runs (and fails)
        sms.send(PHONE, "Halo")
    assert client.loaded.wait(5)
    with pytest.raises(PermanentSmsError):  # still the old list
        sms.send(PHONE, "Halo")
    assert client.published == []


@pytest.mark.parametrize(
    ("code", "status", "expected", "reason"),
    [
        ("InternalError", 500, TransientSmsError, FailureReason.PROVIDER_UNAVAILABLE),
        ("ServiceUnavailable", 503, TransientSmsError, FailureReason.PROVIDER_UNAVAILABLE),
        ("InvalidParameter", 400, PermanentSmsError, FailureReason.INVALID_NUMBER),
        ("AuthorizationError", 403, TransientSmsError, FailureReason.PROVIDER_UNAVAILABLE),
    ],
)
def test_sns_errors_are_classified_and_carry_no_number(
    sns: Any, code: str, status: int, expected: type[SmsError], reason: FailureReason
) -> None:
    with Stubber(sns) as stub:
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": []})
        stub.add_client_error("publish", code, f"Invalid parameter: PhoneNumber {PHONE}", status)
        with pytest.raises(expected) as raised:
            SnsSms(sns).send(PHONE, "Halo")
    assert raised.value.reason is reason
    assert PHONE not in str(raised.value)
    assert raised.value.__cause__ is None


def _publish_request(text: str = "Halo") -> dict[str, Any]:
    return {
        "PhoneNumber": PHONE,
        "Message": text,
        "MessageAttributes": {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    }


def test_sns_throttling_is_retried_in_the_function_with_backoff(sns: Any) -> None:
    # A throttled publish sent nothing; two short sleeps later SNS takes it, and Pub/Sub never sees a failure.
    sleeps: list[float] = []
    with Stubber(sns) as stub:
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": []}, {})
        stub.add_client_error("publish", "Throttling", "Rate exceeded", 400, expected_params=_publish_request())
        stub.add_client_error("publish", "Throttling", "Rate exceeded", 400, expected_params=_publish_request())
        stub.add_response("publish", {"MessageId": "m-3"}, _publish_request())
        assert SnsSms(sns, sleep=sleeps.append, jitter=lambda: 1.0).send(PHONE, "Halo") == "m-3"
        stub.assert_no_pending_responses()
    assert sleeps == [0.5, 1.0]


def test_sns_throttling_of_the_opt_out_list_is_retried_too(sns: Any) -> None:
    sleeps: list[float] = []
    with Stubber(sns) as stub:
        stub.add_client_error("list_phone_numbers_opted_out", "Throttling", "Rate exceeded", 400)
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": []})
        stub.add_response("publish", {"MessageId": "m-1"})
        assert SnsSms(sns, sleep=sleeps.append, jitter=lambda: 0.0).send(PHONE, "Halo") == "m-1"
        stub.assert_no_pending_responses()
    assert sleeps == [0.25]  # the jitter halves the sleep at most


def test_sns_throttling_that_lasts_goes_back_to_pubsub_after_three_attempts(sns: Any) -> None:
    sleeps: list[float] = []
    with Stubber(sns) as stub:
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": []})
        for _ in range(3):
            stub.add_client_error("publish", "Throttling", f"Rate exceeded for {PHONE}", 400)
        with pytest.raises(TransientSmsError) as raised:
            SnsSms(sns, sleep=sleeps.append, jitter=lambda: 1.0).send(PHONE, "Halo")
        stub.assert_no_pending_responses()
    assert raised.value.reason is FailureReason.PROVIDER_THROTTLED
    assert PHONE not in str(raised.value)
    assert sleeps == [0.5, 1.0]  # no sleep after the last attempt: the instance hands the event back at once


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("InvalidParameter", 400)])
def test_sns_other_errors_are_not_retried_in_the_function(sns: Any, code: str, status: int) -> None:
    sleeps: list[float] = []
    with Stubber(sns) as stub:
        stub.add_response("list_phone_numbers_opted_out", {"phoneNumbers": []})
        stub.add_client_error("publish", code, "no", status)
        with pytest.raises(SmsError):
            SnsSms(sns, sleep=sleeps.append).send(PHONE, "Halo")
        stub.assert_no_pending_responses()
    assert sleeps == []


def test_sns_unreachable_is_transient() -> None:
    client = sns_client("ap-southeast-3", "http://127.0.0.1:9", 0.5)  # nothing listens on port 9
    with pytest.raises(TransientSmsError):
        SnsSms(client).send(PHONE, "Halo")


def _gateway(handler: Any) -> HttpGatewaySms:
    return HttpGatewaySms(
        httpx.Client(transport=httpx.MockTransport(handler)), "https://sms.example/send", "tok", "JAMBI"
    )


def test_http_gateway_posts_json_with_the_credential() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"message_id": "g-7"})

    assert _gateway(handler).send(PHONE, "Halo") == "g-7"
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert json.loads(seen[0].content) == {"to": PHONE, "text": "Halo", "sender": "JAMBI"}


@pytest.mark.parametrize(
    ("response", "expected", "reason"),
    [
        (httpx.Response(429), TransientSmsError, FailureReason.PROVIDER_THROTTLED),
        (httpx.Response(502, text="bad gateway"), TransientSmsError, FailureReason.PROVIDER_UNAVAILABLE),
        (httpx.Response(401), TransientSmsError, FailureReason.PROVIDER_UNAVAILABLE),
        (httpx.Response(400, json={"error": "invalid_number"}), PermanentSmsError, FailureReason.INVALID_NUMBER),
        (httpx.Response(422, json={"error": "opted_out"}), PermanentSmsError, FailureReason.OPTED_OUT),
        (httpx.Response(400, text="<html>"), PermanentSmsError, FailureReason.REJECTED_BY_PROVIDER),
    ],
)
def test_http_gateway_answers_are_classified(
    response: httpx.Response, expected: type[SmsError], reason: FailureReason
) -> None:
    with pytest.raises(expected) as raised:
        _gateway(lambda _request: response).send(PHONE, "Halo")
    assert raised.value.reason is reason


def test_http_gateway_timeout_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransientSmsError) as raised:
        _gateway(handler).send(PHONE, "Halo")
    assert raised.value.reason is FailureReason.PROVIDER_TIMEOUT
