"""SmsProvider on AWS SNS (boto3): Transactional SMS, optional sender ID, region ap-southeast-3.

boto3's own retries are switched off: a transient failure goes back to Pub/Sub, whose redelivery backoff is the one
retry policy (infra/topology.json), instead of a function instance sleeping through its ack deadline.
"""

from __future__ import annotations

from typing import Any

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

    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self._client = client
        self._attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}

    def send(self, phone: str, text: str) -> str:
        try:
            # SNS accepts a publish to a number that replied STOP and then drops it silently; ask first so the
            # record says opted_out instead of sent.
            if self._client.check_if_phone_number_is_opted_out(phoneNumber=phone).get("isOptedOut"):
                raise PermanentSmsError(FailureReason.OPTED_OUT, "sns")
            response = self._client.publish(PhoneNumber=phone, Message=text, MessageAttributes=self._attributes)
        except ClientError as error:
            raise _classify(error) from None
        except (ConnectTimeoutError, ReadTimeoutError):
            raise TransientSmsError(FailureReason.PROVIDER_TIMEOUT, "sns") from None
        except (EndpointConnectionError, ConnectionClosedError, BotoCoreError) as error:
            raise TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, type(error).__name__) from None
        return str(response["MessageId"])


def _classify(error: ClientError) -> PermanentSmsError | TransientSmsError:
    # Only the error code and HTTP status are kept: AWS messages can quote the phone number.
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in _THROTTLING or status == 429:
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
