"""Write the citizen forms under web/ from the catalogue: `python tools/build_web.py` (a test fails when they differ).

The pages are static files (the gateway and the production bucket serve web/ as is), so everything a page needs is
decided here, from `bahagia.catalogue.catalogue().public`, the same data GET /v1/programs answers. web/static/app.css
and web/static/forms.js are written by hand and are not touched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jinja2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from bahagia.catalogue import catalogue  # noqa: E402

WEB = ROOT / "web"
TEMPLATES = Path(__file__).resolve().parent / "web_templates"
# The one base.html: the pages intake renders (receipt, status, form errors) extend the same one.
BASE_TEMPLATES = ROOT / "functions" / "edge" / "templates"

# Radios read better than a select on a phone, up to a handful of choices; places are always selects.
MAX_RADIOS = 7
SELECT_FIELDS = {"kecamatan", "kelurahan"}

GROUP_LEGENDS = {
    "applicant": "Data pemohon",
    "applicant.address": "Alamat tempat tinggal (sesuai KTP)",
    "location": "Lokasi kejadian",
    "reporter": "Identitas pelapor",
}

HINTS = {
    "applicant.nik": "Nomor Induk Kependudukan, 16 angka pada KTP.",
    "applicant.kk": "16 angka pada Kartu Keluarga.",
    "applicant.phone": "Contoh: 0812 3456 7890. Kami mengirim SMS setiap kali status berubah.",
    "applicant.address.rt": "Contoh: 3 atau 003.",
    "applicant.address.rw": "Contoh: 5 atau 005.",
    "applicant.address.kelurahan": "Kelurahan harus berada di kecamatan yang dipilih.",
    "location.kelurahan": "Kelurahan harus berada di kecamatan yang dipilih.",
    "description": "Ceritakan apa yang terjadi, di mana, dan kapan. Paling sedikit 10 karakter.",
    "location.lat": "Contoh: -1.6101",
    "location.lng": "Contoh: 103.6131",
    "reporter.phone": "Contoh: 0812 3456 7890. Untuk SMS pemberitahuan status.",
}

AUTOCOMPLETE = {
    "applicant.name": "name",
    "applicant.phone": "tel",
    "applicant.birth_date": "bday",
    "applicant.gender": "sex",
    "applicant.address.street": "street-address",
    "reporter.name": "name",
    "reporter.phone": "tel",
}

NUMERIC_STRINGS = {
    "applicant.nik": "[0-9]{16}",
    "applicant.kk": "[0-9]{16}",
    "applicant.address.rt": "[0-9]{1,3}",
    "applicant.address.rw": "[0-9]{1,3}",
}
TEL_FIELDS = {"applicant.phone", "reporter.phone"}

# Fields whose need depends on another answer: without JavaScript the label says when they are needed and the server
# decides; with it, forms.js switches `required` on and off from the rules embedded in the page.
CONDITIONAL = {
    "location.kecamatan": "wajib, kecuali Aspirasi",
    "reporter.name": "wajib, kecuali Anonim",
    "reporter.phone": "wajib, kecuali Anonim",
}


def field_id(name: str) -> str:
    return "f-" + name.replace(".", "-").replace("_", "-")


def _group(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _widget(descriptor: dict[str, Any]) -> str:
    kind = descriptor["type"]
    leaf = descriptor["name"].rsplit(".", 1)[-1]
    if kind == "enum":
        if len(descriptor["options"]) == 1:
            return "hidden"
        if leaf in SELECT_FIELDS or len(descriptor["options"]) > MAX_RADIOS:
            return "select"
        return "radios"
    return {"text": "textarea", "boolean": "checkbox", "integer": "number", "number": "number", "date": "date"}.get(
        kind, "input"
    )


def _field(descriptor: dict[str, Any], kelurahan_groups: list[dict[str, Any]]) -> dict[str, Any]:
    name = descriptor["name"]
    fid = field_id(name)
    field = {
        **descriptor,
        "id": fid,
        "widget": _widget(descriptor),
        "hint": HINTS.get(name),
        "autocomplete": AUTOCOMPLETE.get(name, "off" if name in NUMERIC_STRINGS else None),
        "pattern": descriptor.get("pattern") or NUMERIC_STRINGS.get(name),
        "inputmode": "numeric" if name in NUMERIC_STRINGS or descriptor["type"] == "integer" else None,
        "input_type": "tel" if name in TEL_FIELDS else "text",
        "condition": CONDITIONAL.get(name),
        # The browser's own check only where the need never depends on another answer.
        "html_required": descriptor["required"] and name not in CONDITIONAL,
    }
    if descriptor["type"] == "number":
        field["inputmode"] = "decimal"
    if name.endswith(".kelurahan"):
        field["groups"] = kelurahan_groups
        field["kecamatan_id"] = field_id(name.rsplit(".", 1)[0] + ".kecamatan")
    return field


def _sections(fields: list[dict[str, Any]], legends: dict[str, str]) -> list[dict[str, Any]]:
    """Consecutive fields of one dotted group share a fieldset; top-level fields stand alone."""
    sections: list[dict[str, Any]] = []
    for field in fields:
        group = _group(field["name"])
        if group and sections and sections[-1]["group"] == group:
            sections[-1]["fields"].append(field)
        else:
            sections.append({"group": group, "legend": legends.get(group), "fields": [field]})
    return sections


def _script_json(value: Any) -> str:
    # Inside <script type="application/json">: "</script>" in a label must not end the element.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _client_descriptors(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What forms.js validates from: the descriptors without the long option lists."""
    keep = ("name", "type", "required", "label", "min", "max", "pattern")
    out = []
    for field in fields:
        descriptor = {k: field[k] for k in keep if field.get(k) is not None}
        descriptor["id"] = field["id"]
        out.append(descriptor)
    return out


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES, BASE_TEMPLATES]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = _script_json
    return env


def _complaint_fields(categories: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One form for every category: the categories' descriptors differ only in `category` and in what is required."""
    base = categories[0]["fields"]
    for category in categories[1:]:
        names = [f["name"] for f in category["fields"]]
        if names != [f["name"] for f in base]:
            raise SystemExit(f"complaint category {category['id']} has other fields than {categories[0]['id']}")
    fields = []
    for descriptor in base:
        if descriptor["name"] == "category":
            options = [{"value": c["id"], "label": c["name"], "hint": c["description"]} for c in categories]
            descriptor = {**descriptor, "options": options}
        elif descriptor["name"] in CONDITIONAL:
            descriptor = {**descriptor, "required": True}
        fields.append(descriptor)
    rules = {
        "categories": {
            c["id"]: {
                "default_privacy": c["default_privacy"],
                "required": [f["name"] for f in c["fields"] if f["required"]],
            }
            for c in categories
        },
        # Not asked for, and not sent, when the reporter chooses to stay anonymous.
        "anonymous_omits": [f["name"] for f in base if f["name"].startswith("reporter.")],
    }
    return fields, rules


def rendered() -> dict[str, str]:
    """Every generated page by its path under web/."""
    public = catalogue().public
    env = _environment()
    kelurahan_groups = [
        {
            "code": kecamatan["code"],
            "name": kecamatan["name"],
            "options": [{"value": k["code"], "label": k["name"]} for k in kecamatan["kelurahan"]],
        }
        for kecamatan in public["kecamatan"]
    ]
    pages = {
        "index.html": env.get_template("index.html").render(
            programs=public["programs"], categories=public["complaint_categories"]
        ),
        "status.html": env.get_template("status.html").render(),
    }
    for program in public["programs"]:
        legends = {**GROUP_LEGENDS, "details": f"Keterangan untuk {program['name']}"}
        fields = [_field(d, kelurahan_groups) for d in program["fields"]]
        pages[f"program/{program['id']}.html"] = env.get_template("program.html").render(
            program=program,
            sections=_sections(fields, legends),
            form_data={"kind": "application", "fields": _client_descriptors(fields)},
        )
    complaint_descriptors, rules = _complaint_fields(public["complaint_categories"])
    fields = [_field(d, kelurahan_groups) for d in complaint_descriptors]
    pages["pengaduan.html"] = env.get_template("complaint.html").render(
        sections=_sections(fields, GROUP_LEGENDS),
        form_data={"kind": "complaint", "fields": _client_descriptors(fields), "rules": rules},
    )
    # The staff console (web/petugas/), imported here because it builds on this module.
    tools = str(Path(__file__).resolve().parent)
    if tools not in sys.path:
        sys.path.insert(0, tools)
    from build_console import rendered as console_pages

    pages.update(console_pages())
    return pages


def stale(directory: Path) -> list[str]:
    """Generated pages of `directory` that differ from what the catalogue gives now, missing and leftover ones too."""
    pages = rendered()
    on_disk = {str(path.relative_to(directory)) for path in directory.rglob("*.html") if "static" not in path.parts}
    differ = {
        name
        for name, text in pages.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    }
    return sorted(differ | (on_disk - pages.keys()))


def main() -> None:
    pages = rendered()
    for old in WEB.rglob("*.html"):
        if "static" not in old.parts and str(old.relative_to(WEB)) not in pages:
            old.unlink()
            print(f"removed web/{old.relative_to(WEB)}")
    for name, text in pages.items():
        path = WEB / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote web/{name}")


if __name__ == "__main__":
    main()
