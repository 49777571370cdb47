"""Firestore writes built as plain protobuf messages, for the one commit on intake's request path.

The client library builds every Write through proto-plus wrappers: about 0.5 ms of CPU for one submission with its
markers, outbox entry and counters, ten times what building the same protobuf messages directly costs
(bench/README.md). This module builds exactly the messages the library builds (tests/unit/test_firestore_wire.py
compares them with the library's own) and sends them through the library's own client, so the transport, the
credentials, the emulator and the errors (AlreadyExists, ...) are the library's. It knows only what intake writes:
None, bool, int, float, str, datetime, and lists and dicts of those; create(); and merges made only of Increments.

It reaches into three attributes the client does not document (`_firestore_api`, `_database_string`,
`_rpc_metadata`), stable across google-cloud-firestore 2.x and pinned in functions/requirements.txt; `supported()`
says whether they are there, and the store falls back to the library's WriteBatch when they are not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import write as write_types

_Write = write_types.Write.pb()
_Value = document_types.Value.pb()
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def supported(client: Any) -> bool:
    return all(hasattr(client, name) for name in ("_firestore_api", "_database_string", "_rpc_metadata"))


def _encode(value: Any, out: Any) -> None:
    # bool before int: True is an int to Python, a boolean to Firestore.
    if value is None:
        out.null_value = 0
    elif isinstance(value, bool):
        out.boolean_value = value
    elif isinstance(value, int):
        out.integer_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, dt.datetime):
        timestamp_pb = getattr(value, "timestamp_pb", None)  # DatetimeWithNanoseconds keeps its nanoseconds
        out.timestamp_value.CopyFrom(timestamp_pb() if timestamp_pb else _timestamp(value))
    elif isinstance(value, Mapping):
        out.map_value.SetInParent()
        fields = out.map_value.fields
        for key, item in value.items():
            _encode(item, fields[key])
    elif isinstance(value, list | tuple):
        out.array_value.SetInParent()
        values = out.array_value.values
        for item in value:
            _encode(item, values.add())
    else:
        raise TypeError(f"no Firestore encoding here for {type(value).__name__}")


def _timestamp(moment: dt.datetime) -> Any:
    from google.protobuf import timestamp_pb2

    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)  # naive datetimes are taken as UTC, as the library does
    return stamp


def _field_path(name: str) -> str:
    if _SIMPLE_FIELD.match(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


class Writes:
    """The writes of one commit, as the library's WriteBatch would build them."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._prefix = f"{client._database_string}/documents/"
        self.writes: list[Any] = []

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        write = _Write()
        write.update.name = self._prefix + path
        fields = write.update.fields
        for key, value in data.items():
            _encode(value, fields[key])
        write.current_document.exists = False
        self.writes.append(write)

    def increment(self, path: str, deltas: Mapping[str, int | float]) -> None:
        """`set(path, {field: Increment(delta)}, merge=True)`: fields created at 0 if missing, the document too."""
        write = _Write()
        write.update.name = self._prefix + path
        write.update_mask.SetInParent()
        # In field path order, as the library sorts them.
        for path, delta in sorted((_field_path(name), delta) for name, delta in deltas.items()):
            transform = write.update_transforms.add()
            transform.field_path = path
            _encode(delta, transform.increment)
        self.writes.append(write)

    def commit(self, timeout: float) -> Sequence[Any]:
        """One Commit call, no automatic retry (a create() that went through but whose answer was lost would fail on
        retry; the caller decides). Raises what the library raises."""
        response = self._client._firestore_api.commit(
            request={"database": self._client._database_string, "writes": self.writes},
            metadata=self._client._rpc_metadata,
            timeout=timeout,
            retry=None,
        )
        return list(response.write_results)
