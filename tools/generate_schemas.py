"""Write schemas/*.json from the pydantic models: `python tools/generate_schemas.py` (a test fails when they differ)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from edge.openapi import component_schemas, openapi_document  # noqa: E402


def rendered() -> dict[str, str]:
    files = {"openapi.json": openapi_document()}
    for name in ("Application", "ComplaintIn"):
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **component_schemas()[name]}
        schema["$defs"] = {k: v for k, v in component_schemas().items() if k not in ("Error",)}
        files[f"{name}.schema.json"] = schema
    return {name: json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n" for name, doc in files.items()}


def stale(directory: Path) -> list[str]:
    """The files of `directory` that differ from what the models generate now (missing ones included)."""
    return sorted(
        name
        for name, text in rendered().items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    )


def main() -> None:
    out = ROOT / "schemas"
    out.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
