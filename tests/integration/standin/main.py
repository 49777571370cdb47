"""Stand-in function targets for the devstack tests: every target of a topology, reporting what reached it.

The real handlers are tested elsewhere; these let the stack's wiring (processes, gateway routes, push subscriptions)
be tested on its own, and keep working whatever the handlers do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

_TOPOLOGY = json.loads(Path(os.environ["STANDIN_TOPOLOGY"]).read_text(encoding="utf-8"))
_EVENTS_DIR = Path(os.environ["STANDIN_EVENTS_DIR"])


def _http_target(name: str) -> Any:
    def handler(request: flask.Request) -> Any:
        body = request.get_data()
        with (_EVENTS_DIR / f"{name}.calls").open("a", encoding="utf-8") as calls:
            calls.write(f"{request.method} {request.path}\n")
        if request.path.endswith("/redirect"):
            response = flask.Response(status=303, headers={"Location": "/v1/receipt/ABC"})
            response.headers.add("Set-Cookie", "first=1; Path=/")
            response.headers.add("Set-Cookie", "second=2; Path=/")
            return response
        return {
            "target": name,
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "headers": dict(request.headers),
            "body_length": len(body),
            "env": {
                key: os.environ.get(key)
                for key in (
                    "BAHAGIA_PROJECT_ID",
                    "BAHAGIA_ENVIRONMENT",
                    "BAHAGIA_PUBLIC_BASE_URL",
                    "FIRESTORE_EMULATOR_HOST",
                )
            },
        }

    handler.__name__ = name
    return handler


def _event_target(name: str) -> Any:
    def handler(event: CloudEvent) -> None:
        record = {
            "target": name,
            "id": event["id"],
            "type": event["type"],
            "source": event["source"],
            "data": event.get_data(),
        }
        (_EVENTS_DIR / f"{name}-{event['id']}.json").write_text(json.dumps(record), encoding="utf-8")

    handler.__name__ = name
    return functions_framework.cloud_event(handler)


for _name in [*_TOPOLOGY["http_targets"], *(entry["target"] for entry in _TOPOLOGY.get("internal_http_targets", []))]:
    globals()[_name] = _http_target(_name)
for _name in _TOPOLOGY["event_targets"]:
    globals()[_name] = _event_target(_name)
