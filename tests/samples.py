"""Valid request bodies to start tests from. The people in them are invented; the NIKs are valid-looking fakes."""

from __future__ import annotations

import copy
from typing import Any

# 15.71.01 = Telanaipura; day 57 = a woman born on the 17th (+40).
NIK_WOMAN_1985 = "1571015708850003"
NIK_MAN_1950 = "1571011203500002"
KK = "1571010101200001"

APPLICATION: dict[str, Any] = {
    "program": "kartu-bahagia",
    "benefit": "pendidikan",
    "applicant": {
        "nik": NIK_WOMAN_1985,
        "kk": KK,
        "name": "Siti Contoh Aminah",
        "birth_date": "1985-08-17",
        "gender": "P",
        "phone": "0812-3456-7890",
        "address": {
            "street": "Jl. Contoh No. 1",
            "rt": "3",
            "rw": "1",
            "kecamatan": "15.71.01",
            "kelurahan": "15.71.01.1001",
        },
    },
    "details": {"pekerjaan": "Buruh harian", "penghasilan_bulanan": 1500000, "jumlah_tanggungan": 3},
    "consent": True,
}

COMPLAINT: dict[str, Any] = {
    "category": "infrastruktur",
    "description": "Jalan berlubang besar di depan pasar, membahayakan pengendara motor.",
    "location": {"kecamatan": "15.71.04", "kelurahan": "15.71.04.1003", "address": "Depan Pasar Jambi"},
    "occurred_on": "2026-11-20",
    "reporter": {"name": "Budi Contoh", "phone": "+62 813 1111 2222"},
}


def application(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(APPLICATION)
    body.update(changes)
    return body


def complaint(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(COMPLAINT)
    body.update(changes)
    return body


def flatten(body: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A nested body as the dotted pairs an HTML form would post."""
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(flatten(value, name + "."))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs
