"""The eleven programmes carry the city's own names (../shared/PROGRAMMES.md, issue 10) wherever citizens read them.

The table below is copied from PROGRAMMES.md ("Use these names exactly"): the short name, the full name, and where
the programme lives in this system (a programme id of the catalogue, or a complaint category id).
"""

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "functions" / "bahagia" / "data" / "catalogue.json").read_text(encoding="utf-8"))

# (short name, full name, "program:<id>" or "category:<id>"); Call Center Bahagia is the intake itself, no entry
OFFICIAL = [
    ("Kartu Bahagia", "Kartu Bahagia", "program:kartu-bahagia"),
    ("BALIKAT", "Balai Latihan Kerja Tematik", "program:balikat"),
    ("BANHARKAT", "Bantuan Kelompok Usaha Masyarakat", "program:banharkat"),
    ("RUMEL", "Ruang Milenial", "program:rumel"),
    ("Kampung Bahagia", "Kampung Bahagia", "program:kampung-bahagia"),
    ("Lansia Bahagia", "Lansia Bahagia", "program:lansia-bahagia"),
    ("Kota Tangguh", "Kota Tangguh", "category:infrastruktur"),
    ("Bahagia Berbudaya", "Bahagia Berbudaya", "category:budaya"),
    ("Apel Kota", "Apel Kota", "category:aparatur"),
    ("BALAP", "BALAP", "category:pungli"),
]

# the expansions the first catalogue invented, fixed in issue 10
WRONG = ["Balai Latihan Kerja Kota", "Bantuan Hibah untuk Rakyat", "Rumah Milenial"]


def _entry(where: str) -> dict[str, Any]:
    kind, _, ident = where.partition(":")
    entries = CATALOGUE["programs" if kind == "program" else "complaint_categories"]
    matches = [entry for entry in entries if entry["id"] == ident]
    assert len(matches) == 1, where
    return matches[0]


@pytest.mark.parametrize(("short", "full", "where"), OFFICIAL, ids=[row[0] for row in OFFICIAL])
def test_each_programme_is_named_as_the_city_names_it(short: str, full: str, where: str) -> None:
    name = _entry(where)["name"]
    assert short in name
    assert full in name


def test_the_generated_pages_carry_the_full_names() -> None:
    for ident, full in [
        ("balikat", "Balai Latihan Kerja Tematik"),
        ("banharkat", "Bantuan Kelompok Usaha Masyarakat"),
        ("rumel", "Ruang Milenial"),
    ]:
        assert full in (ROOT / "web" / "program" / f"{ident}.html").read_text(encoding="utf-8")
        assert full in (ROOT / "web" / "index.html").read_text(encoding="utf-8")


def test_no_invented_name_is_left_anywhere_a_person_reads() -> None:
    places = [ROOT / "functions", ROOT / "web", ROOT / "docs", ROOT / "README.md", ROOT / "schemas"]
    files = [p for place in places for p in ([place] if place.is_file() else place.rglob("*")) if p.is_file()]
    texts = [p for p in files if p.suffix in {".json", ".html", ".md", ".py", ".txt", ".mjs", ".js", ".j2"}]
    assert len(texts) > 50
    found = [
        (str(p.relative_to(ROOT)), wrong)
        for p in texts
        for wrong in WRONG
        if wrong in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert found == []
