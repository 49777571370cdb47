"""SmsProvider on AWS SNS (boto3): Transactional SMS, optional sender ID, region ap-southeast-3.

boto3's own retries are switched off: a transient failure goes back to Pub/Sub, whose redelivery backoff is the one
retry policy (infra/topology.json), instead of a function instance sleeping through its ack deadline. One exception:
SNS `Throttling` (its SMS rate limit, e.g. 20 per second by default) clears within a second or two, and a message
given back to Pub/Sub waits 10 s to 10 min before its next try and uses up one of its 5 deliveries; so a throttled
call is tried again here, at most THROTTLE_ATTEMPTS times, after short sleeps. Worst case with the default 5 s call
timeout: 3 attempts x 2 calls x 5 s + 1.5 s of sleep = 31.5 s, inside the function's 55 s timeout and the
subscription's 60 s ack deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from bahagia.notifications import FailureReason
from ports import PermanentSmsError, TransientSmsError

_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "KMSThrottling",
}
_INVALID = {"InvalidParameter", "InvalidParameterValue", "ValidationError"}

THROTTLE_ATTEMPTS = 3
# Sleep before the 2nd and 3rd attempt, each scaled by a random factor in [0.5, 1) so that the instances throttled
# together do not all come back in the same millisecond.
THROTTLE_BACKOFF_SECONDS = (0.5, 1.0)

_Result = TypeVar("_Result")


def sns_client(
    region: str,
    endpoint_url: str | None,
    timeout_seconds: float,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> Any:
    import boto3
    from botocore.config import Config

    if endpoint_url and not access_key_id:
        # moto (local, tests) accepts any key; without one boto3 would look for real credentials.
        access_key_id, secret_access_key = "local", "local"
    return boto3.client(
        "sns",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
        ),
    )


class SnsSms:
    name = "sns"

    def __init__(
        self,
        client: Any,
        sender_id: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._jitter = jitter
        self._attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}

    def send(self, phone: str, text: str) -> str:
        try:
            # SNS accepts a publish to a number that replied STOP and then drops it silently; ask first so the
            # record says opted_out instead of sent.
            opted_out = self._throttled_retry(
                lambda: self._client.check_if_phone_number_is_opted_out(phoneNumber=phone)
            )
            if opted_out.get("isOptedOut"):
                raise PermanentSmsError(FailureReason.OPTED_OUT, "sns")
            response = self._throttled_retry(
                lambda: self._client.publish(PhoneNumber=phone, Message=text, MessageAttributes=self._attributes)
            )
        except ClientError as error:
            raise _classify(error) from None
        except (ConnectTimeoutError, ReadTimeoutError):
            raise TransientSmsError(FailureReason.PROVIDER_TIMEOUT, "sns") from None
        except (EndpointConnectionError, ConnectionClosedError, BotoCoreError) as error:
            raise TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, type(error).__name__) from None
        return str(response["MessageId"])

    def _throttled_retry(self, call: Callable[[], _Result]) -> _Result:
        """The call, tried again after a short sleep while SNS answers Throttling (a throttled call sent nothing)."""
        for attempt in range(THROTTLE_ATTEMPTS):
            try:
                return call()
            except ClientError as error:
                if attempt == THROTTLE_ATTEMPTS - 1 or not _is_throttling(error):
                    raise
                self._sleep(THROTTLE_BACKOFF_SECONDS[attempt] * (0.5 + self._jitter() / 2))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _is_throttling(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code in _THROTTLING or status == 429


def _classify(error: ClientError) -> PermanentSmsError | TransientSmsError:
    # Only the error code and HTTP status are kept: AWS messages can quote the phone number.
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if _is_throttling(error):
        return TransientSmsError(FailureReason.PROVIDER_THROTTLED, code)
    if status >= 500:
        return TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, code or str(status))
    if code in _INVALID:
        return PermanentSmsError(FailureReason.INVALID_NUMBER, code)
    if code == "OptedOut":
        return PermanentSmsError(FailureReason.OPTED_OUT, code)
    # Credentials, permissions, quotas: our configuration, not the citizen's number. Retried, then dead-lettered,
    # so the event is kept until someone fixes it.
    return TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, code or str(status))
