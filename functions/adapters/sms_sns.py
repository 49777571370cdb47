"""SmsProvider on AWS SNS (boto3): Transactional SMS, optional sender ID, region ap-southeast-3.

boto3's own retries are switched off: a transient failure goes back to Pub/Sub, whose redelivery backoff is the one
retry policy (infra/topology.json), instead of a function instance sleeping through its ack deadline. One exception:
SNS `Throttling` (its SMS rate limit, e.g. 20 per second by default) clears within a second or two, and a message
given back to Pub/Sub waits 10 s to 10 min before its next try and uses up one of its 5 deliveries; so a throttled
call is tried again here, at most THROTTLE_ATTEMPTS times, after short sleeps. Worst case with the default 5 s call
timeout: 3 attempts x 2 calls (the opt-out list's first load, the publish) x 5 s + 1.5 s of sleep = 31.5 s, inside
the function's 55 s timeout and the subscription's 60 s ack deadline.
"""

from __future__ import annotations

import functools
import random
import threading
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
from logs import get_logger
from ports import PermanentSmsError, TransientSmsError

log = get_logger("bahagia.notify")

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
    """SNS accepts a Publish to a number that replied STOP and then drops it silently (Publish has no OptedOut error:
    botocore's service model lists none), so SNS must be asked before publishing for the record to say opted_out
    rather than sent. Asking per SMS (CheckIfPhoneNumberIsOptedOut) doubled the SNS calls of every event; instead each
    instance keeps the account's whole opt-out list (ListPhoneNumbersOptedOut, paged), loads it at warm-up and
    reloads it in the background once it is older than `opt_out_max_age_seconds`, serving the list it has meanwhile.
    SNS never delivers to an opted-out number itself, so a list up to that old can only mislabel a record, never send
    an SMS the citizen refused. The numbers stay in this instance's memory, never in a log."""

    name = "sns"

    def __init__(
        self,
        client: Any,
        sender_id: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        opt_out_max_age_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._jitter = jitter
        self._attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        self._max_age = opt_out_max_age_seconds
        self._clock = clock
        self._opted_out: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._reloading: threading.Thread | None = None

    def warm(self) -> None:
        self._opted_out_numbers()

    def send(self, phone: str, text: str) -> str:
        try:
            if phone in self._opted_out_numbers():
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

    def _opted_out_numbers(self) -> frozenset[str]:
        """The list as loaded at most `opt_out_max_age_seconds` ago, or, while a reload runs, the one before it.
        Only an instance that never loaded it waits (and raises what SNS raised, so the event is retried)."""
        with self._lock:
            current = self._opted_out
            stale = current is None or self._clock() - self._loaded_at >= self._max_age
            if current is not None and stale and self._reloading is None:
                self._reloading = threading.Thread(target=self._reload_in_background, name="sns-opt-outs", daemon=True)
                self._reloading.start()
        if current is not None:
            return current
        numbers = self._load()
        with self._lock:
            self._opted_out, self._loaded_at = numbers, self._clock()
        return numbers

    def _reload_in_background(self) -> None:
        try:
            numbers: frozenset[str] | None = self._load()
        except Exception:
            # Keep serving the list we have; the next send after this one starts another reload.
            log.warning("sns opt-out list not reloaded", exc_info=True)
            numbers = None
        with self._lock:
            if numbers is not None:
                self._opted_out, self._loaded_at = numbers, self._clock()
            self._reloading = None

    def _load(self) -> frozenset[str]:
        numbers: set[str] = set()
        token: str | None = None
        while True:
            page = self._throttled_retry(functools.partial(self._list_page, token))
            numbers.update(page.get("phoneNumbers", []))
            token = page.get("nextToken")
            if not token:
                return frozenset(numbers)

    def _list_page(self, token: str | None) -> dict[str, Any]:
        page: dict[str, Any] = self._client.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        return page

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
