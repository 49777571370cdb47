"""Call every function target once before the stack is reported ready, so that no citizen's request or event pays a
cold start (imports, clients, the SMS provider's opt-out list).

The functions answer two warm-up calls that change nothing (functions/edge/warmup.py): `GET /_ah/warmup` on an HTTP
target (a path no route of infra/topology.json reaches) and a binary CloudEvent of type `dev.bahagia.warmup` on an
event target. Production: docs/ARCHITECTURE.md, "Cold starts".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from devstack.processes import http_status

WARMUP_PATH = "/_ah/warmup"
WARMUP_EVENT_TYPE = "dev.bahagia.warmup"


def warm_up_call(url: str, signature: str, timeout: float) -> int | None:
    """One warm-up call; its HTTP status, or None when the target did not answer."""
    if signature != "cloudevent":
        return http_status(url.rstrip("/") + WARMUP_PATH, timeout)
    headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": uuid.uuid4().hex,
        "ce-source": "//devstack/warmup",
        "ce-type": WARMUP_EVENT_TYPE,
    }
    return http_status(url.rstrip("/") + "/", timeout, "POST", json.dumps({}).encode(), headers)


def warm_up(
    function_urls: Mapping[str, str], signatures: Mapping[str, str], timeout: float = 60.0
) -> dict[str, int | None]:
    """Every target at once (each is its own process): the slowest one's cold start, not their sum."""
    with ThreadPoolExecutor(max(1, len(function_urls))) as pool:
        futures = {
            name: pool.submit(warm_up_call, url, signatures[name], timeout) for name, url in function_urls.items()
        }
        return {name: future.result() for name, future in futures.items()}
