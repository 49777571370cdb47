"""The programme catalogue: data/catalogue.json plus the models and form descriptors derived from it.

Loaded once per instance and validated at load: a catalogue that does not match the contract's stable ids, names an
unknown OPD or describes a field badly stops the cold start instead of serving wrong forms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

from bahagia import models
from bahagia.wilayah import wilayah

PROGRAM_IDS = ("kartu-bahagia", "balikat", "banharkat", "lansia-bahagia", "rumel", "kampung-bahagia")
CATEGORY_IDS = ("infrastruktur", "lingkungan", "layanan-publik", "aparatur", "budaya", "pungli", "aspirasi")
FIELD_TYPES = {"string", "integer", "number", "date", "boolean", "enum", "text"}

GENDER_OPTIONS = [{"value": "L", "label": "Laki-laki"}, {"value": "P", "label": "Perempuan"}]
PRIVACY_OPTIONS = [
    {"value": "public", "label": "Biasa: identitas saya diketahui petugas"},
    {"value": "confidential", "label": "Rahasia: identitas saya hanya diketahui petugas integritas"},
    {"value": "anonymous", "label": "Anonim: identitas saya tidak disimpan (tidak ada SMS pemberitahuan)"},
]


class CatalogueError(ValueError):
    """The catalogue data contradicts the contract or itself."""


@dataclass(frozen=True)
class Catalogue:
    raw: dict[str, Any]
    programs: dict[str, dict[str, Any]]
    categories: dict[str, dict[str, Any]]
    opd: dict[str, str]
    application_models: dict[str, type[models.ApplicationBase]]
    public: dict[str, Any]
    """What GET /v1/programs answers."""

    def default_privacy(self, category: str) -> str:
        return "confidential" if category == "pungli" else "public"


def _check_descriptor(owner: str, descriptor: dict[str, Any]) -> None:
    name = descriptor.get("name", "?")
    if descriptor.get("type") not in FIELD_TYPES:
        raise CatalogueError(f"{owner}: field {name} has unknown type {descriptor.get('type')!r}")
    if not isinstance(descriptor.get("required"), bool) or not descriptor.get("label"):
        raise CatalogueError(f"{owner}: field {name} needs `required` (bool) and `label`")
    if descriptor["type"] == "enum" and not descriptor.get("options"):
        raise CatalogueError(f"{owner}: enum field {name} has no options")


def _validate(raw: dict[str, Any]) -> None:
    program_ids = tuple(p["id"] for p in raw["programs"])
    if sorted(program_ids) != sorted(PROGRAM_IDS):
        raise CatalogueError(f"programme ids {program_ids} differ from the contract's {PROGRAM_IDS}")
    category_ids = tuple(c["id"] for c in raw["complaint_categories"])
    if sorted(category_ids) != sorted(CATEGORY_IDS):
        raise CatalogueError(f"category ids {category_ids} differ from the contract's {CATEGORY_IDS}")
    opd_ids = {o["id"] for o in raw["opd"]}
    if len(opd_ids) != len(raw["opd"]):
        raise CatalogueError("duplicate OPD id")
    for category in raw["complaint_categories"]:
        if category["default_opd"] is not None and category["default_opd"] not in opd_ids:
            raise CatalogueError(f"category {category['id']}: unknown default_opd {category['default_opd']}")
    for program in raw["programs"]:
        for descriptor in program["details"]:
            _check_descriptor(program["id"], descriptor)
        eligibility = program.get("eligibility", {})
        if eligibility.get("min_age", 0) > eligibility.get("max_age", 200):
            raise CatalogueError(f"{program['id']}: min_age above max_age")
    kartu = next(p for p in raw["programs"] if p["id"] == "kartu-bahagia")
    if [b["value"] for b in kartu.get("benefits", [])] != ["pendidikan", "kesehatan", "sosial"]:
        raise CatalogueError("kartu-bahagia benefits must be pendidikan, kesehatan, sosial")


# --- form descriptors ----------------------------------------------------------------------------------------------


def _kecamatan_options() -> list[dict[str, Any]]:
    return [{"value": code, "label": name} for code, name in wilayah().kecamatan.items()]


def _kelurahan_options() -> list[dict[str, Any]]:
    return [{"value": k.code, "label": k.name, "kecamatan": k.kecamatan} for k in wilayah().kelurahan.values()]


_OPTION_SOURCES = {
    "gender": lambda: GENDER_OPTIONS,
    "privacy": lambda: PRIVACY_OPTIONS,
    "kecamatan": _kecamatan_options,
    "kelurahan": _kelurahan_options,
}


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].split("/")[-1]], defs)
    if "anyOf" in schema:
        non_null = [s for s in schema["anyOf"] if s.get("type") != "null"]
        merged = {**_resolve(non_null[0], defs), **{k: v for k, v in schema.items() if k != "anyOf"}}
        return merged
    return schema


def _descriptors_from_schema(
    schema: dict[str, Any], defs: dict[str, Any], prefix: str, required_here: bool
) -> list[dict[str, Any]]:
    """Walk a model's JSON Schema into the contract's flat descriptors, in declaration order."""
    out: list[dict[str, Any]] = []
    required = set(schema.get("required", []))
    for name, prop_schema in schema.get("properties", {}).items():
        prop = _resolve(prop_schema, defs)
        dotted = f"{prefix}{name}"
        is_required = required_here and name in required
        if prop.get("type") == "object" or "properties" in prop:
            out.extend(_descriptors_from_schema(prop, defs, dotted + ".", is_required))
            continue
        descriptor: dict[str, Any] = {"name": dotted, "required": is_required, "label": prop.get("title", name)}
        if name in _OPTION_SOURCES:
            descriptor["type"] = "enum"
            descriptor["options"] = _OPTION_SOURCES[name]()
        elif "enum" in prop or "const" in prop:
            descriptor["type"] = "enum"
            values = prop.get("enum", [prop.get("const")])
            descriptor["options"] = [{"value": v, "label": v} for v in values]
        elif prop.get("format") == "date":
            descriptor["type"] = "date"
        elif prop.get("type") in ("integer", "number", "boolean"):
            descriptor["type"] = prop["type"]
        else:
            descriptor["type"] = "text" if prop.get("maxLength", 0) > 300 else "string"
        for source, target in (("minLength", "min"), ("maxLength", "max"), ("minimum", "min"), ("maximum", "max")):
            if source in prop and descriptor["type"] != "enum":
                descriptor[target] = prop[source]
        if "pattern" in prop and descriptor["type"] != "enum":
            descriptor["pattern"] = prop["pattern"]
        out.append(descriptor)
    return out


def _model_descriptors(model: type[BaseModel], prefix: str = "") -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    return _descriptors_from_schema(schema, schema.get("$defs", {}), prefix, True)


def _program_fields(program: dict[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = [
        {
            "name": "program",
            "type": "enum",
            "required": True,
            "label": "Program",
            "options": [{"value": program["id"], "label": program["name"]}],
        }
    ]
    if program.get("benefits"):
        fields.append(
            {
                "name": "benefit",
                "type": "enum",
                "required": True,
                "label": "Jenis manfaat",
                "options": program["benefits"],
            }
        )
    fields.extend(_model_descriptors(models.Applicant, "applicant."))
    fields.extend({**descriptor, "name": f"details.{descriptor['name']}"} for descriptor in program["details"])
    consent = models.ApplicationBase.model_fields["consent"]
    fields.append({"name": "consent", "type": "boolean", "required": True, "label": consent.title})
    return fields


def _category_fields(category: dict[str, Any]) -> list[dict[str, Any]]:
    fields = _model_descriptors(models.ComplaintIn)
    out: list[dict[str, Any]] = []
    for descriptor in fields:
        name = descriptor["name"]
        if name == "category":
            descriptor = {**descriptor, "options": [{"value": category["id"], "label": category["name"]}]}
        elif name == "location.kecamatan":
            # Only an aspiration may have no place.
            descriptor = {**descriptor, "required": category["id"] != "aspirasi"}
        elif name in ("reporter.name", "reporter.phone"):
            # Required for the default privacy modes; not sent at all for an anonymous report.
            descriptor = {**descriptor, "required": True, "label": descriptor["label"] + " (kosongkan jika anonim)"}
        out.append(descriptor)
    return out


# --- loading -------------------------------------------------------------------------------------------------------


def build(raw: dict[str, Any]) -> Catalogue:
    _validate(raw)
    programs = {p["id"]: p for p in raw["programs"]}
    categories = {c["id"]: c for c in raw["complaint_categories"]}
    application_models = {pid: models.build_application_model(p) for pid, p in programs.items()}
    area = wilayah()
    public = {
        "programs": [
            {
                "id": p["id"],
                "name": p["name"],
                "description": p["description"],
                **({"benefits": p["benefits"]} if p.get("benefits") else {}),
                "eligibility": p.get("eligibility", {}),
                "required_documents": p["required_documents"],
                "fields": _program_fields(p),
            }
            for p in raw["programs"]
        ],
        "complaint_categories": [
            {
                "id": c["id"],
                "name": c["name"],
                "description": c["description"],
                "default_opd": c["default_opd"],
                "default_privacy": "confidential" if c["id"] == "pungli" else "public",
                "fields": _category_fields(c),
            }
            for c in raw["complaint_categories"]
        ],
        "opd": raw["opd"],
        "kecamatan": [
            {
                "code": code,
                "name": name,
                "kelurahan": [{"code": k.code, "name": k.name} for k in area.kelurahan_of(code)],
            }
            for code, name in area.kecamatan.items()
        ],
        "sources": {"wilayah": area.source},
    }
    return Catalogue(
        raw=raw,
        programs=programs,
        categories=categories,
        opd={o["id"]: o["name"] for o in raw["opd"]},
        application_models=application_models,
        public=public,
    )


@cache
def catalogue() -> Catalogue:
    text = resources.files("bahagia").joinpath("data/catalogue.json").read_text(encoding="utf-8")
    return build(json.loads(text))


def load() -> Catalogue:
    """Load and validate; what `make run` calls at start so a broken catalogue fails loudly."""
    return catalogue()
