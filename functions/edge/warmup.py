"""The warm-up calls every target answers without changing anything (devstack calls each target once before READY).

HTTP targets: `GET /_ah/warmup`, a path no route reaches (infra/topology.json). Event targets: a binary CloudEvent
of type `dev.bahagia.warmup`, which no subscription delivers. Either one builds what the target's first real request
would otherwise build: imports, clients, the SMS provider's opt-out list.
"""

WARMUP_PATH = "/_ah/warmup"
WARMUP_EVENT_TYPE = "dev.bahagia.warmup"
