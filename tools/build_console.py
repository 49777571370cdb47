"""The staff console's pages under web/petugas/, from the catalogue, the lifecycles and the channels.

tools/build_web.py writes them with the citizen forms (`python tools/build_web.py`; a test fails when they differ).
The pages are static files like the forms: everything they show about people and cases comes from the staff API
with the bearer token; what is known at build time (status labels, which step needs an OPD, programmes, categories,
OPDs, the 68 kelurahan, channels, role names) is embedded as JSON, so a page needs no second request to draw itself.
web/static/petugas/ (api.mjs, console.mjs, console.css) is written by hand.

The pages need no inline script or style, so the Content-Security-Policy that every static page gets
(infra/topology.json `static.response_headers`, sent by the web bucket and by the local gateway) applies to them
unchanged; each page also carries it in a meta element (without frame-ancestors, which only a header can set), so it
holds wherever the files are served from. The staff API and the pages share the origin; Google's sign-in is a plain
navigation to Google.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import build_web  # noqa: E402 -- the citizen forms' builder: the same environment, field widgets and sections

from bahagia import channels, lifecycle  # noqa: E402
from bahagia.catalogue import catalogue  # noqa: E402

TOPOLOGY = TOOLS.parent / "infra" / "topology.json"


def content_security_policy() -> str:
    """The static pages' policy from topology.json, as a meta element may carry it (no frame-ancestors)."""
    policy = json.loads(TOPOLOGY.read_text(encoding="utf-8"))["static"]["response_headers"]["Content-Security-Policy"]
    directives = [d.strip() for d in policy.split(";") if d.strip() and not d.strip().startswith("frame-ancestors")]
    return "; ".join(directives)


ROLE_LABELS = {
    "verifikator": "Verifikator",
    "opd": "Petugas OPD",
    "integritas": "Tim integritas",
    "pimpinan": "Pimpinan",
    "admin": "Admin",
    "operator": "Operator Call Center",
}

KIND_LABELS = {"complaint": "Pengaduan atau aspirasi", "application": "Pengajuan program"}

PRIVACY_LABELS = {
    "public": "Biasa",
    "confidential": "Rahasia",
    "anonymous": "Anonim",
    "private": "Pribadi (pengajuan)",
}

# The pages, in menu order: file under web/petugas/, template, title, the roles that see it in the menu.
PAGES = [
    ("index.html", "queue.html", "Antrean kasus", ("verifikator", "opd", "integritas", "pimpinan")),
    ("kasus.html", "case.html", "Kasus", ()),
    ("call-center.html", "desk.html", "Call Center Bahagia", ("operator",)),
    ("laporan.html", "reports.html", "Laporan", ("pimpinan", "admin")),
    ("staf.html", "staff.html", "Direktori petugas", ("admin",)),
    ("masuk.html", "sign_in.html", "Masuk", ()),
]

MENU_NAMES = {
    "index.html": "Antrean",
    "call-center.html": "Call Center",
    "laporan.html": "Laporan",
    "staf.html": "Petugas",
}

DESK_HINTS = {
    "description": "Tulis keterangan warga selengkapnya: apa, di mana, sejak kapan. Paling sedikit 10 karakter.",
    "reporter.phone": "Nomor HP warga untuk SMS tanda terima dan pemberitahuan status (tanpa PIN).",
}


def _status_list() -> list[dict[str, Any]]:
    """Every status once, complaints' first, with its label (the same id has the same label in both lifecycles)."""
    seen: dict[str, dict[str, Any]] = {}
    for kind in lifecycle.KINDS:
        for name, info in lifecycle.lifecycle(kind).statuses.items():
            entry = seen.setdefault(name, {"id": name, "label": info.label, "kinds": []})
            entry["kinds"].append(kind)
    return list(seen.values())


def _lifecycles() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in lifecycle.KINDS:
        life = lifecycle.lifecycle(kind)
        out[kind] = {
            "statuses": {name: {"label": info.label, "closed": info.closed} for name, info in life.statuses.items()},
            # Which step asks for an OPD: required for a disposition, optional when verifying an application.
            "transitions": [
                {
                    "from": rule.source,
                    "to": rule.target,
                    "requires_opd": rule.requires_opd,
                    "assigns_opd": rule.assigns_opd,
                }
                for rule in life.rules.values()
            ],
        }
    return out


def _field_labels(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Name, label and option labels of each field, in the forms' order: what the case page prints (places are named
    from the kecamatan list, so their long option lists are left out)."""
    out = []
    for field in fields:
        entry: dict[str, Any] = {"name": field["name"], "label": field["label"]}
        if field.get("options") and not field["name"].endswith((".kecamatan", ".kelurahan")):
            entry["options"] = {o["value"]: o["label"] for o in field["options"]}
        out.append(entry)
    return out


def console_data() -> dict[str, Any]:
    public = catalogue().public
    return {
        "roles": ROLE_LABELS,
        "kinds": KIND_LABELS,
        "privacy": PRIVACY_LABELS,
        "statuses": _status_list(),
        "lifecycles": _lifecycles(),
        "channels": [{"id": cid, "label": label} for cid, label in channels.CHANNELS.items()],
        "desk_channels": list(channels.DESK_CHANNELS),
        "programs": [
            {
                "id": p["id"],
                "name": p["name"],
                "benefits": {b["value"]: b["label"] for b in p.get("benefits", [])},
                "fields": _field_labels(p["fields"]),
            }
            for p in public["programs"]
        ],
        "categories": [{"id": c["id"], "name": c["name"]} for c in public["complaint_categories"]],
        "complaint_fields": _field_labels(public["complaint_categories"][0]["fields"]),
        "opd": public["opd"],
        "kecamatan": public["kecamatan"],
    }


def _desk_form() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The complaint form of the citizens' page, for the operator: the same descriptors, widgets and rules."""
    public = catalogue().public
    kelurahan_groups = [
        {
            "code": kecamatan["code"],
            "name": kecamatan["name"],
            "options": [{"value": k["code"], "label": k["name"]} for k in kecamatan["kelurahan"]],
        }
        for kecamatan in public["kecamatan"]
    ]
    descriptors, rules = build_web._complaint_fields(public["complaint_categories"])
    fields = []
    for descriptor in descriptors:
        field = build_web._field(descriptor, kelurahan_groups)
        field["id"] = "desk-" + field["id"]  # never the same ids as the citizen form, whatever a test opens
        if field.get("kecamatan_id"):
            field["kecamatan_id"] = "desk-" + field["kecamatan_id"]
        field["hint"] = DESK_HINTS.get(field["name"], field["hint"])
        fields.append(field)
    return build_web._sections(fields, build_web.GROUP_LEGENDS), rules


def rendered() -> dict[str, str]:
    """Every console page by its path under web/."""
    env = build_web._environment()
    data = console_data()
    sections, rules = _desk_form()
    menu = [
        {"href": "/petugas/" if name == "index.html" else f"/petugas/{name}", "name": MENU_NAMES[name], "roles": roles}
        for name, _, _, roles in PAGES
        if roles
    ]
    pages = {}
    for name, template, title, _ in PAGES:
        pages[f"petugas/{name}"] = env.get_template(f"petugas/{template}").render(
            page=name.removesuffix(".html"),
            title=title,
            here="/petugas/" if name == "index.html" else f"/petugas/{name}",
            menu=menu,
            csp=content_security_policy(),
            console_data=data,
            desk_sections=sections,
            desk_rules=rules,
            channels=[{"id": c, "label": channels.CHANNELS[c]} for c in channels.DESK_CHANNELS],
            statuses=data["statuses"],
            roles=ROLE_LABELS,
            programs=data["programs"],
            categories=data["categories"],
            opd=data["opd"],
            kecamatan=data["kecamatan"],
        )
    return pages


if __name__ == "__main__":
    build_web.main()
