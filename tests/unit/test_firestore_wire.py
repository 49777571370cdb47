"""adapters.firestore_wire builds exactly the Write messages google-cloud-firestore's WriteBatch builds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from adapters import firestore_wire
from adapters.reports_firestore import add_counts
from bahagia import report_counters
from tests import samples

NOW = dt.datetime(2026, 11, 29, 3, 0, 12, 345678, tzinfo=dt.UTC)


@pytest.fixture
def client() -> firestore.Client:
    # Building messages needs no server: nothing here is sent.
    return firestore.Client(project="demo-wire", credentials=AnonymousCredentials())


def _library(client: firestore.Client, build: Any) -> list[Any]:
    batch = client.batch()
    build(batch)
    return [write._pb for write in batch._write_pbs]


DOCUMENTS = [
    {"none": None, "yes": True, "no": False, "int": 3, "big": 2**62, "neg": -7, "float": 1.5, "text": "Siti Contoh"},
    {
        "when": NOW,
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "local": NOW.astimezone(dt.timezone(dt.timedelta(hours=7))),
    },
    {"empty_map": {}, "empty_list": [], "nested": {"a": [1, {"b": None, "c": [NOW, "x"]}], "d": {"e": {"f": 0.0}}}},
    {"unicode": "Jl. Sultan Thaha — No. 5 ✓", "key with spaces": "v", "dotted.key": 1, "`tick`": 2},
    {"applicant": samples.application()["applicant"], "tuple": (1, 2)},
]


@pytest.mark.parametrize("data", DOCUMENTS)
def test_a_create_is_the_librarys_create(client: firestore.Client, data: dict[str, Any]) -> None:
    writes = firestore_wire.Writes(client)
    writes.create("submissions/ABCDEFGH2", data)
    expected = _library(client, lambda b: b.create(client.collection("submissions").document("ABCDEFGH2"), data))
    assert writes.writes == expected


def test_counter_increments_are_the_librarys_merge_of_increments(client: firestore.Client) -> None:
    counts: dict[str, dict[str, Any]] = {
        "2026-11-29_3": {"new": 1, "new__kelurahan__15_71_01_1001": 1, "new__status__diterima": 1, "skipped": 0},
        "2026-12-04_3": {"sla__due": 1, "minus": -1, "ratio": 0.5, "9starts_with_a_digit": 1},
    }
    writes = firestore_wire.Writes(client)
    for doc_id, fields in counts.items():
        writes.increment(f"{report_counters.COLLECTION}/{doc_id}", {k: v for k, v in fields.items() if v})
    assert writes.writes == _library(client, lambda b: add_counts(b, client, counts))


def test_what_it_cannot_encode_is_refused(client: firestore.Client) -> None:
    assert firestore_wire.supported(client)
    with pytest.raises(TypeError):
        firestore_wire.Writes(client).create("x/y", {"bytes": b"raw"})
