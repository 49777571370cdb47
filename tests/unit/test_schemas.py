"""schemas/ is generated from the pydantic models and checked in: a change to a model must come with it."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("generate_schemas", ROOT / "tools" / "generate_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_schemas_match_the_models():
    assert _generator().stale(ROOT / "schemas") == [], "run `python tools/generate_schemas.py`"


def test_a_stale_or_missing_schema_file_is_caught(tmp_path):
    import shutil

    copy = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", copy)
    doc = json.loads((copy / "openapi.json").read_text(encoding="utf-8"))
    doc["components"]["schemas"]["Applicant"]["properties"]["nik"]["title"] = "edited by hand"
    (copy / "openapi.json").write_text(json.dumps(doc), encoding="utf-8")
    (copy / "ComplaintIn.schema.json").unlink()
    assert _generator().stale(copy) == ["ComplaintIn.schema.json", "openapi.json"]


def test_the_openapi_document_is_valid_openapi_3_1():
    from jsonschema import Draft202012Validator

    doc = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operations = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {"submitApplication", "submitComplaint", "trackSubmission", "listPrograms"} <= operations


def test_every_public_route_of_the_topology_is_in_the_openapi_document():
    """POST /v1/track, GET /v1/receipt/{code} and the staff report files are routes clients use (issue 11)."""
    doc = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    paths = doc["paths"]
    assert "post" in paths["/v1/track"]
    assert paths["/v1/track"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubmissionStatus"
    }
    assert "text/html" in paths["/v1/receipt/{tracking_code}"]["get"]["responses"]["200"]["content"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    formats = (("", "application/json"), (".csv", "text/csv"), (".xlsx", xlsx), (".html", "text/html"))
    for suffix, content_type in formats:
        operation = paths[f"/v1/staff/reports/{{date}}{suffix}"]["get"]
        assert content_type in operation["responses"]["200"]["content"]
        assert operation["security"] == [{"staffBearer": []}]
    assert "NightlyReport" in doc["components"]["schemas"]
    # Every documented reference resolves.
    text = json.dumps(doc)
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in doc["components"]["schemas"], name
