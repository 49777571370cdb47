"""infra/topology.json read into plain objects, and the route matching the production URL map does."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOPOLOGY = REPO_ROOT / "infra" / "topology.json"

# ARCHITECTURE.md: an unmatched path under the API goes to default_target (a JSON 404), never to the static forms.
API_PREFIX = "/v1/"


class TopologyError(ValueError):
    """infra/topology.json contradicts itself; the message names the entry."""


@dataclass(frozen=True)
class Route:
    path: str
    target: str

    @property
    def is_prefix(self) -> bool:
        return self.path.endswith("/*")

    def matches(self, path: str) -> bool:
        # Like a Google Cloud URL map path rule: "/v1/track/*" matches "/v1/track/" and below, not "/v1/track".
        if self.is_prefix:
            return path.startswith(self.path[:-1])
        return path == self.path


def match_route(routes: Sequence[Route], default_target: str, path: str) -> str | None:
    """The target for a request path (no query string), or None when the static files answer it."""
    for route in routes:
        if route.matches(path):
            return route.target
    if path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/"):
        return default_target
    return None


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    push_target: str | None = None
    dead_letter_topic: str | None = None
    max_delivery_attempts: int | None = None
    ack_deadline_seconds: int | None = None
    retry_minimum_backoff: float | None = None
    retry_maximum_backoff: float | None = None


@dataclass(frozen=True)
class Topology:
    project_id_local: str
    http_targets: tuple[str, ...]
    internal_http_targets: tuple[str, ...]
    event_targets: tuple[str, ...]
    default_target: str
    routes: tuple[Route, ...]
    static_directory: str | None
    # Security headers of every static response (CSP, HSTS, ...), the same list the production web bucket sends.
    static_headers: tuple[tuple[str, str], ...]
    topics: tuple[str, ...]
    subscriptions: tuple[Subscription, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    path: Path | None = None

    @property
    def targets(self) -> dict[str, str]:
        """Every function target with its functions-framework signature type, in file order."""
        result = dict.fromkeys((*self.http_targets, *self.internal_http_targets), "http")
        result.update(dict.fromkeys(self.event_targets, "cloudevent"))
        return result

    def route_target(self, path: str) -> str | None:
        return match_route(self.routes, self.default_target, path)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


def parse_duration(value: str, where: str) -> float:
    """A protobuf JSON duration such as "10s" (the form Terraform and gcloud use), in seconds."""
    found = _DURATION.match(value)
    if not found:
        raise TopologyError(f"{where}: {value!r} is not a duration like '10s'")
    return float(found.group(1))


def parse_topology(raw: dict[str, Any], path: Path | None = None) -> Topology:
    http_targets = tuple(raw.get("http_targets", []))
    internal = tuple(entry["target"] for entry in raw.get("internal_http_targets", []))
    event_targets = tuple(raw.get("event_targets", []))
    names = [*http_targets, *internal, *event_targets]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise TopologyError(f"targets listed twice: {', '.join(duplicates)}")

    routes = []
    for entry in raw.get("routes", []):
        route_path, target = entry["path"], entry["target"]
        if not route_path.startswith("/") or route_path.count("*") > (1 if route_path.endswith("/*") else 0):
            raise TopologyError(f"route {route_path!r}: a path is exact or a prefix ending in '/*'")
        if target not in http_targets:
            # Internal targets (relay_outbox) must never be reachable through the public gateway.
            raise TopologyError(f"route {route_path!r} points at {target!r}, which is not in http_targets")
        routes.append(Route(route_path, target))
    default_target = raw["default_target"]
    if default_target not in http_targets:
        raise TopologyError(f"default_target {default_target!r} is not in http_targets")

    topics = tuple(raw.get("topics", []))
    subscriptions = []
    for entry in raw.get("subscriptions", []):
        where = f"subscription {entry.get('name')!r}"
        if entry["topic"] not in topics:
            raise TopologyError(f"{where}: topic {entry['topic']!r} is not in topics")
        push_target = entry.get("push_target")
        if push_target is not None and push_target not in event_targets:
            raise TopologyError(f"{where}: push_target {push_target!r} is not in event_targets")
        dead_letter = entry.get("dead_letter_topic")
        if dead_letter is not None and dead_letter not in topics:
            raise TopologyError(f"{where}: dead_letter_topic {dead_letter!r} is not in topics")
        minimum = entry.get("retry_minimum_backoff")
        maximum = entry.get("retry_maximum_backoff")
        subscriptions.append(
            Subscription(
                name=entry["name"],
                topic=entry["topic"],
                push_target=push_target,
                dead_letter_topic=dead_letter,
                max_delivery_attempts=entry.get("max_delivery_attempts"),
                ack_deadline_seconds=entry.get("ack_deadline_seconds"),
                retry_minimum_backoff=parse_duration(minimum, where) if minimum else None,
                retry_maximum_backoff=parse_duration(maximum, where) if maximum else None,
            )
        )

    static = raw.get("static") or {}
    headers = static.get("response_headers") or {}
    if not all(isinstance(name, str) and isinstance(value, str) for name, value in headers.items()):
        raise TopologyError("static.response_headers: each header is a name and a string value")
    return Topology(
        project_id_local=raw.get("project_id_local", "demo-bahagia"),
        http_targets=http_targets,
        internal_http_targets=internal,
        event_targets=event_targets,
        default_target=default_target,
        routes=tuple(routes),
        static_directory=static.get("directory"),
        static_headers=tuple(headers.items()),
        topics=topics,
        subscriptions=tuple(subscriptions),
        raw=raw,
        path=path,
    )


def load_topology(path: Path = DEFAULT_TOPOLOGY) -> Topology:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TopologyError(f"cannot read {path}: {error}") from error
    try:
        return parse_topology(raw, Path(path).resolve())
    except KeyError as error:
        raise TopologyError(f"{path}: missing key {error}") from error
