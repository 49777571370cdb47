"""The route table of infra/topology.json as the gateway and the production URL map apply it."""

from __future__ import annotations

import pytest

from devstack.topology import (
    DEFAULT_TOPOLOGY,
    Route,
    TopologyError,
    load_topology,
    match_route,
    parse_duration,
    parse_topology,
)

ROUTES = (
    Route("/v1/programs", "list_programs"),
    Route("/v1/applications", "submit_application"),
    Route("/v1/track/*", "track_submission"),
)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/v1/programs", "list_programs"),
        ("/v1/applications", "submit_application"),
        ("/v1/track/ABCD-EFGH", "track_submission"),
        ("/v1/track/ABCD/receipt", "track_submission"),
        ("/v1/track/", "track_submission"),
        # exact routes do not match longer or shorter paths; the API default answers them (a JSON 404)
        ("/v1/programs/", "default"),
        ("/v1/programsx", "default"),
        ("/v1/track", "default"),
        ("/v1/unknown", "default"),
        ("/v1/", "default"),
        ("/v1", "default"),
        # everything outside the API is the static forms
        ("/", None),
        ("/index.html", None),
        ("/v10/programs", None),
        ("/v1x/programs", None),
        ("/programs", None),
    ],
)
def test_match_route(path: str, target: str | None) -> None:
    assert match_route(ROUTES, "default", path) == target


def test_first_matching_route_wins() -> None:
    routes = (Route("/v1/staff/*", "staff_api"), Route("/v1/staff/reports/x", "reports"))
    assert match_route(routes, "default", "/v1/staff/reports/x") == "staff_api"
    assert match_route(tuple(reversed(routes)), "default", "/v1/staff/reports/x") == "reports"


def test_the_real_topology_routes_the_contract_paths() -> None:
    topology = load_topology(DEFAULT_TOPOLOGY)
    assert topology.route_target("/v1/programs") == "list_programs"
    assert topology.route_target("/v1/openapi.json") == "list_programs"
    assert topology.route_target("/v1/applications") == "submit_application"
    assert topology.route_target("/v1/complaints") == "submit_complaint"
    assert topology.route_target("/v1/track/K7PX-M3QD") == "track_submission"
    assert topology.route_target("/v1/nothing-here") == topology.default_target
    assert topology.route_target("/") is None
    # internal targets are never reachable through the public gateway
    for internal in topology.internal_http_targets:
        assert internal not in {route.target for route in topology.routes}


def test_signature_types_follow_the_target_lists() -> None:
    topology = load_topology(DEFAULT_TOPOLOGY)
    assert topology.targets["send_sms_notification"] == "cloudevent"
    assert topology.targets["submit_application"] == "http"
    assert topology.targets["relay_outbox"] == "http"
    assert set(topology.targets) == {*topology.http_targets, *topology.internal_http_targets, *topology.event_targets}


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "http_targets": ["list_programs", "track_submission"],
        "internal_http_targets": [{"target": "relay_outbox"}],
        "event_targets": ["send_sms_notification"],
        "default_target": "list_programs",
        "routes": [{"path": "/v1/track/*", "target": "track_submission"}],
        "topics": ["submission-events", "dead"],
        "subscriptions": [
            {
                "name": "push",
                "topic": "submission-events",
                "push_target": "send_sms_notification",
                "dead_letter_topic": "dead",
                "max_delivery_attempts": 5,
                "retry_minimum_backoff": "10s",
                "retry_maximum_backoff": "600s",
            }
        ],
    }
    raw.update(changes)
    return raw


def test_parse_topology_reads_subscriptions() -> None:
    sub = parse_topology(_raw()).subscriptions[0]
    assert (sub.push_target, sub.dead_letter_topic, sub.max_delivery_attempts) == ("send_sms_notification", "dead", 5)
    assert (sub.retry_minimum_backoff, sub.retry_maximum_backoff) == (10.0, 600.0)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"routes": [{"path": "/v1/x", "target": "relay_outbox"}]}, "not in http_targets"),
        ({"routes": [{"path": "/v1/x", "target": "nobody"}]}, "not in http_targets"),
        ({"routes": [{"path": "/v1/*/x", "target": "list_programs"}]}, "prefix ending in"),
        ({"routes": [{"path": "v1/x", "target": "list_programs"}]}, "prefix ending in"),
        ({"default_target": "relay_outbox"}, "default_target"),
        ({"event_targets": ["list_programs"]}, "listed twice"),
        ({"subscriptions": [{"name": "s", "topic": "nope"}]}, "not in topics"),
        ({"subscriptions": [{"name": "s", "topic": "dead", "push_target": "list_programs"}]}, "not in event_targets"),
        ({"subscriptions": [{"name": "s", "topic": "dead", "retry_minimum_backoff": "10"}]}, "duration"),
    ],
)
def test_parse_topology_rejects_contradictions(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(TopologyError, match=complaint):
        parse_topology(_raw(**changes))


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10.0), ("600s", 600.0), ("0.5s", 0.5)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, "here") == seconds
