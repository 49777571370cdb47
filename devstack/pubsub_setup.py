"""Topics and subscriptions of infra/topology.json, created on the Pub/Sub emulator with the admin clients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from devstack.topology import Topology


@dataclass(frozen=True)
class PubSubAdmin:
    publisher: Any
    subscriber: Any


@contextmanager
def admin_clients(pubsub_host: str) -> Iterator[PubSubAdmin]:
    """Admin clients bound to one emulator through an explicit channel, independent of PUBSUB_EMULATOR_HOST."""
    # Imported here: google.cloud.pubsub takes about a second to import and most callers never need it.
    import grpc
    from google.pubsub_v1.services.publisher import PublisherClient
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
    from google.pubsub_v1.services.subscriber import SubscriberClient
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    channel = grpc.insecure_channel(pubsub_host)
    try:
        yield PubSubAdmin(
            publisher=PublisherClient(transport=PublisherGrpcTransport(channel=channel)),
            subscriber=SubscriberClient(transport=SubscriberGrpcTransport(channel=channel)),
        )
    finally:
        channel.close()


def push_endpoint(function_url: str, project_id: str, topic: str) -> str:
    # functions-framework turns a raw push body into a CloudEvent only when the path names projects/P/topics/T.
    return f"{function_url.rstrip('/')}/projects/{project_id}/topics/{topic}"


def _duration(seconds: float) -> dict[str, int]:
    whole = int(seconds)
    return {"seconds": whole, "nanos": round((seconds - whole) * 1e9)}


def subscription_request(
    topology: Topology, project_id: str, function_urls: Mapping[str, str], name: str
) -> dict[str, Any]:
    sub = next(s for s in topology.subscriptions if s.name == name)
    request: dict[str, Any] = {
        "name": f"projects/{project_id}/subscriptions/{sub.name}",
        "topic": f"projects/{project_id}/topics/{sub.topic}",
    }
    if sub.push_target is not None:
        request["push_config"] = {"push_endpoint": push_endpoint(function_urls[sub.push_target], project_id, sub.topic)}
    if sub.ack_deadline_seconds is not None:
        request["ack_deadline_seconds"] = sub.ack_deadline_seconds
    if sub.dead_letter_topic is not None:
        request["dead_letter_policy"] = {
            "dead_letter_topic": f"projects/{project_id}/topics/{sub.dead_letter_topic}",
            "max_delivery_attempts": sub.max_delivery_attempts or 5,
        }
    if sub.retry_minimum_backoff is not None or sub.retry_maximum_backoff is not None:
        request["retry_policy"] = {
            "minimum_backoff": _duration(sub.retry_minimum_backoff or 10),
            "maximum_backoff": _duration(sub.retry_maximum_backoff or 600),
        }
    return request


def create_topology(pubsub_host: str, project_id: str, topology: Topology, function_urls: Mapping[str, str]) -> None:
    """Create every topic and subscription; an existing subscription is replaced so its push endpoint is current."""
    from google.api_core.exceptions import AlreadyExists

    with admin_clients(pubsub_host) as admin:
        for topic in topology.topics:
            with suppress(AlreadyExists):
                admin.publisher.create_topic(request={"name": f"projects/{project_id}/topics/{topic}"})
        for sub in topology.subscriptions:
            request = subscription_request(topology, project_id, function_urls, sub.name)
            try:
                admin.subscriber.create_subscription(request=request)
            except AlreadyExists:
                admin.subscriber.delete_subscription(request={"subscription": request["name"]})
                admin.subscriber.create_subscription(request=request)


def delete_everything(pubsub_host: str, project_id: str) -> None:
    """Every subscription, then every topic, of one project (subscriptions first: they would outlive the topic)."""
    with admin_clients(pubsub_host) as admin:
        project = f"projects/{project_id}"
        for sub in list(admin.subscriber.list_subscriptions(request={"project": project})):
            admin.subscriber.delete_subscription(request={"subscription": sub.name})
        for topic in list(admin.publisher.list_topics(request={"project": project})):
            admin.publisher.delete_topic(request={"topic": topic.name})
