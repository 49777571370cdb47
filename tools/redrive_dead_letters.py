"""Redrive dead-lettered events: pull them from the hold subscription, publish them again to their topic, ack each
batch only once that publish has succeeded.

    make redrive ARGS="--dry-run"                      # list what waits, against `make run` (Pub/Sub emulator)
    make redrive                                       # republish all of it to submission-events
    make redrive ARGS="--project pemkot-jambi-bahagia --dry-run"   # production: real Pub/Sub, your gcloud login
    make redrive ARGS="--project pemkot-jambi-bahagia --limit 10"

Names come from infra/topology.json: the pull subscription on a dead-letter topic (submission-events-dead-letter-hold)
and the topic of the push subscription that dead-letters there (submission-events). Each message goes back with
its data and the attributes it was first published with (Pub/Sub's CloudPubSubDeadLetter* ones dropped).

Safe to repeat: a crash between publish and ack leaves the message in the hold, and a second run publishes it again;
the consumers deduplicate on event_id (docs/SMS.md), so nothing is sent twice. The dry run pulls, prints, and hands
every message back at once (ack deadline 0): event id, type, status, tracking code, attempts, never any other field.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from devstack.config import HOST, ports_from_env  # noqa: E402
from devstack.topology import Topology, load_topology  # noqa: E402

DEAD_LETTER_ATTRIBUTE_PREFIX = "CloudPubSubDeadLetter"
# What the dry run shows of an event: the fields bahagia.events puts there, none of them personal.
LISTED_FIELDS = ("event_id", "type", "status", "tracking_code", "occurred_at")
BATCH = 100
# Leases long enough for a batch to be published before Pub/Sub offers it to someone else.
LEASE_SECONDS = 120


class RedriveError(Exception):
    """The redrive stopped; the message is one line for the operator. What was not acked waits in the hold."""


@dataclass(frozen=True)
class Route:
    subscription: str
    topic: str


def dead_letter_routes(topology: Topology) -> list[Route]:
    """Each hold (pull subscription on a dead-letter topic) with the topic its events came from."""
    sources = {sub.dead_letter_topic: sub.topic for sub in topology.subscriptions if sub.dead_letter_topic}
    return [
        Route(sub.name, sources[sub.topic])
        for sub in topology.subscriptions
        if sub.push_target is None and sub.topic in sources
    ]


@dataclass
class Outcome:
    listed: list[str] = field(default_factory=list)
    republished: int = 0


def original_attributes(attributes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in attributes.items() if not k.startswith(DEAD_LETTER_ATTRIBUTE_PREFIX)}


def describe(message: Any) -> str:
    """One line per event, with only the listed fields of its data (never a field it should not carry)."""
    attributes = dict(message.attributes)
    try:
        data = json.loads(bytes(message.data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    parts = [f"published={message.publish_time.isoformat() if message.publish_time else '-'}"]
    parts.append(f"attempts={attributes.get('CloudPubSubDeadLetterSourceDeliveryCount', '-')}")
    parts += [f"{name}={data.get(name, '-')}" for name in LISTED_FIELDS if name != "type"]
    parts.append(f"type={data.get('type') or attributes.get('type', '-')}")
    parts.append(f"bytes={len(message.data)}")
    return " ".join(parts)


def _pull(subscriber: Any, subscription: str, wanted: int, timeout: float) -> list[Any]:
    from google.api_core.exceptions import DeadlineExceeded
    from google.api_core.retry import Retry

    try:
        # An empty subscription holds the pull open until the timeout (real Pub/Sub and the emulator alike).
        response = subscriber.pull(
            request={"subscription": subscription, "max_messages": min(BATCH, wanted)},
            timeout=timeout,
            # The client's default retries an unreachable server for a minute; a person is waiting here.
            retry=Retry(timeout=15),
        )
    except DeadlineExceeded:
        return []
    received = list(response.received_messages)
    if received:
        subscriber.modify_ack_deadline(
            request={
                "subscription": subscription,
                "ack_ids": [r.ack_id for r in received],
                "ack_deadline_seconds": LEASE_SECONDS,
            }
        )
    return received


def redrive(
    subscriber: Any,
    publisher: Any,
    project_id: str,
    route: Route,
    *,
    dry_run: bool,
    limit: int | None = None,
    report: Callable[[str], None] = print,
    pull_timeout: float = 3.0,
) -> Outcome:
    """Pull from the hold, publish to the topic, ack what was published; in a dry run, list and hand back."""
    subscription = f"projects/{project_id}/subscriptions/{route.subscription}"
    topic = f"projects/{project_id}/topics/{route.topic}"
    outcome = Outcome()
    leased: list[str] = []  # dry run: held until the end, so a pull never offers the same message twice
    remaining = limit if limit is not None else float("inf")
    empty_pulls = 0
    try:
        # A synchronous pull may answer empty while messages exist: before the first message, ask twice.
        while remaining > 0 and empty_pulls < (1 if outcome.listed or outcome.republished else 2):
            received = _pull(subscriber, subscription, int(min(remaining, BATCH)), pull_timeout)
            if not received:
                empty_pulls += 1
                continue
            empty_pulls = 0
            remaining -= len(received)
            if dry_run:
                leased += [r.ack_id for r in received]
                for r in received:
                    line = describe(r.message)
                    outcome.listed.append(line)
                    report(line)
                continue
            messages = [
                {"data": r.message.data, "attributes": original_attributes(dict(r.message.attributes))}
                for r in received
            ]
            try:
                publisher.publish(request={"topic": topic, "messages": messages}, timeout=30)
            except Exception as error:
                _hand_back(subscriber, subscription, [r.ack_id for r in received])
                raise RedriveError(
                    f"publishing to {topic} failed ({type(error).__name__}); {outcome.republished} events redriven, "
                    f"the rest wait in {route.subscription}"
                ) from error
            subscriber.acknowledge(request={"subscription": subscription, "ack_ids": [r.ack_id for r in received]})
            outcome.republished += len(received)
    finally:
        if leased:
            _hand_back(subscriber, subscription, leased)
    return outcome


def _hand_back(subscriber: Any, subscription: str, ack_ids: Sequence[str]) -> None:
    for start in range(0, len(ack_ids), 1000):
        subscriber.modify_ack_deadline(
            request={
                "subscription": subscription,
                "ack_ids": list(ack_ids[start : start + 1000]),
                "ack_deadline_seconds": 0,
            }
        )


@contextmanager
def pubsub_clients(project_id: str, emulator_host: str | None) -> Iterator[tuple[Any, Any]]:
    """(subscriber, publisher): the emulator's for a demo- project, Google's with Application Default Credentials
    otherwise."""
    if emulator_host:
        from devstack.pubsub_setup import admin_clients

        with admin_clients(emulator_host) as admin:
            yield admin.subscriber, admin.publisher
        return
    from google.pubsub_v1.services.publisher import PublisherClient
    from google.pubsub_v1.services.subscriber import SubscriberClient

    yield SubscriberClient(), PublisherClient()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=os.environ.get("BAHAGIA_PROJECT_ID", "demo-bahagia"),
                        help="GCP project (default demo-bahagia: the Pub/Sub emulator of `make run`)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="list what waits, change nothing")
    parser.add_argument("--limit", type=int, default=None, help="at most this many events")
    parser.add_argument("--subscription", default=None, help="the hold subscription (default: from topology.json)")
    parser.add_argument("--pull-timeout", type=float, default=3.0, help="seconds an empty pull waits (default 3)")
    args = parser.parse_args(argv)

    from google.api_core.exceptions import GoogleAPICallError, RetryError

    routes = dead_letter_routes(load_topology())
    if args.subscription:
        routes = [route for route in routes if route.subscription == args.subscription]
        if not routes:
            print(f"{args.subscription} is not a dead-letter hold of infra/topology.json", file=sys.stderr)
            return 2
    emulator = None
    if args.project.startswith("demo-"):
        emulator = os.environ.get("PUBSUB_EMULATOR_HOST") or f"{HOST}:{ports_from_env(os.environ).pubsub}"
    try:
        with pubsub_clients(args.project, emulator) as (subscriber, publisher):
            for route in routes:
                outcome = redrive(
                    subscriber,
                    publisher,
                    args.project,
                    route,
                    dry_run=args.dry_run,
                    limit=args.limit,
                    pull_timeout=args.pull_timeout,
                )
                if args.dry_run:
                    print(f"{len(outcome.listed)} events wait in {route.subscription} (nothing changed)")
                else:
                    print(f"{outcome.republished} events redriven from {route.subscription} to {route.topic}")
    except RedriveError as error:
        print(error, file=sys.stderr)
        return 1
    except (GoogleAPICallError, RetryError) as error:
        where = f"the Pub/Sub emulator at {emulator} (is `make run` up?)" if emulator else f"Pub/Sub of {args.project}"
        print(f"{where} did not answer: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
