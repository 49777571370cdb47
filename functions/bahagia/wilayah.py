"""The 11 kecamatan and 68 kelurahan of Kota Jambi with their Kemendagri codes (data/wilayah.json, source inside)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Kelurahan:
    code: str
    name: str
    kecamatan: str


@dataclass(frozen=True, slots=True)
class Wilayah:
    source: str
    kecamatan: dict[str, str]
    kelurahan: dict[str, Kelurahan]

    def kelurahan_of(self, kecamatan_code: str) -> list[Kelurahan]:
        return [k for k in self.kelurahan.values() if k.kecamatan == kecamatan_code]


@cache
def wilayah() -> Wilayah:
    raw = json.loads(resources.files("bahagia").joinpath("data/wilayah.json").read_text(encoding="utf-8"))
    kecamatan: dict[str, str] = {}
    kelurahan: dict[str, Kelurahan] = {}
    for kec in raw["kecamatan"]:
        kecamatan[kec["code"]] = kec["name"]
        for kel in kec["kelurahan"]:
            if not kel["code"].startswith(kec["code"] + "."):
                raise ValueError(f"kelurahan {kel['code']} is not under kecamatan {kec['code']}")
            kelurahan[kel["code"]] = Kelurahan(kel["code"], kel["name"], kec["code"])
    return Wilayah(source=raw["source"], kecamatan=kecamatan, kelurahan=kelurahan)
