"""The SNS side of two-way SMS on moto: the topics AWS End User Messaging SMS would publish inbound texts and
delivery events to, each with an HTTP subscription to the gateway's webhook path, as production has HTTPS ones.

moto posts every message published to such a topic to the subscriber, signed (SignatureVersion 2) with a key whose
certificate it serves at the SigningCertURL path, so the webhook verifies it for real (adapters/sns_certificates.py).
"""

from __future__ import annotations

from typing import Any

from devstack.components import AWS_REGION, LOCAL_SMS_TOPICS


def subscribe_webhooks(sns_url: str, gateway_url: str) -> dict[str, str]:
    """Create the topics and subscribe the webhook paths (both idempotent in moto); returns name -> topic ARN."""
    import boto3

    # moto takes any key; its own dummy pair keeps boto3 from looking for real credentials.
    sns: Any = boto3.client(
        "sns",
        region_name=AWS_REGION,
        endpoint_url=sns_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 -- moto's dummy credentials
    )
    arns: dict[str, str] = {}
    for name, path in LOCAL_SMS_TOPICS.items():
        arn = sns.create_topic(Name=name)["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=f"{gateway_url}{path}")
        arns[name] = arn
    return arns
