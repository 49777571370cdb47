"""infra/firestore.indexes.json holds the composite index of every query the code declares, and nothing else.

The Firestore emulator never asks for an index, so a missing one would first show in production as a failed
query. The adapters declare each query shape in a module-level QUERIES (docs/ARCHITECTURE.md, "Declaring
queries"); this module works out which composite indexes Firestore needs for them and checks the file.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = REPO / "functions"
INDEXES = REPO / "infra" / "firestore.indexes.json"

EQUALITY_OPS = {"==", "in", "array_contains", "array-contains", "array_contains_any", "array-contains-any"}
ARRAY_OPS = {"array_contains", "array-contains", "array_contains_any", "array-contains-any"}
RANGE_OPS = {"<", "<=", ">", ">=", "!=", "not-in", "not_in"}
ORDER_OPS = {
    "order": "ASCENDING",
    "order asc": "ASCENDING",
    "asc": "ASCENDING",
    "order desc": "DESCENDING",
    "desc": "DESCENDING",
}

# Modules that query Firestore but have not declared their QUERIES yet. Each entry is a known gap, not a pass: the
# reports adapter builds its aggregation filters from data (reports/figures.py) and must declare the shapes it can
# produce. Remove the entry in the same change that adds the declaration.
UNDECLARED_FOR_NOW = {"adapters/reports_firestore.py"}


# --- the rules ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexField:
    path: str
    mode: str  # ASCENDING | DESCENDING | CONTAINS


@dataclass(frozen=True)
class Requirement:
    """What one concrete query needs: an exact composite, or (when merging applies) one of several per-field ones."""

    collection: str
    scope: str
    equality: tuple[IndexField, ...]  # order within this part of an index does not matter
    ordered: tuple[IndexField, ...]  # in this order, with these directions
    mergeable: bool

    def exact(self) -> tuple[frozenset[IndexField], tuple[IndexField, ...]]:
        return frozenset(self.equality), self.ordered


def required_index(
    collection: str, clauses: Sequence[tuple[str, str]], scope: str = "COLLECTION"
) -> Requirement | None:
    """The composite index a query with these (field, op) clauses needs, or None when single-field indexes serve it.

    Firestore's rules for native mode:
    - equality-like filters (==, in, array-contains[-any]) alone never need one: single-field indexes are merged;
    - results are ordered by the explicit orders, then by every range field (<, <=, >, >=, !=, not-in) not ordered
      explicitly (by name, in the direction of the last explicit order, else ascending);
    - once a second field is involved next to a range filter or an order, a composite index is needed: the equality
      fields (any order) followed by those ordered fields, in that order, with those directions;
    - with equality filters and a single ordered field, Firestore can merge one composite per equality field
      ([field, the ordered field]) instead of needing one for every combination.
    """
    equality: dict[str, IndexField] = {}
    ranges: set[str] = set()
    orders: dict[str, IndexField] = {}
    for field, op in clauses:
        op = op.strip().lower()
        if op in EQUALITY_OPS:
            equality[field] = IndexField(field, "CONTAINS" if op in ARRAY_OPS else "ASCENDING")
        elif op in RANGE_OPS:
            ranges.add(field)
        elif op in ORDER_OPS:
            orders[field] = IndexField(field, ORDER_OPS[op])
        else:
            raise ValueError(f"unknown operator {op!r} in a query on {collection}")
    orders.pop("__name__", None)  # the document id orders every index implicitly
    direction = list(orders.values())[-1].mode if orders else "ASCENDING"
    ordered = [*orders.values(), *(IndexField(name, direction) for name in sorted(ranges - set(orders)))]
    fields = set(equality) | {f.path for f in ordered}
    if not ordered or len(fields) <= 1:
        return None
    return Requirement(collection, scope, tuple(equality.values()), tuple(ordered), len(ordered) == 1)


def expand(clauses: Sequence[tuple[str | tuple[str, ...], str]]) -> Iterable[list[tuple[str, str]]]:
    """A declared shape as concrete queries: a clause whose field is a tuple stands for any subset of those fields."""
    optional = [(fields, op) for fields, op in clauses if isinstance(fields, tuple)]
    fixed = [(field, op) for field, op in clauses if isinstance(field, str)]
    choices = [[(name, op) for name in fields] for fields, op in optional]
    pool = [item for group in choices for item in group]
    for size in range(len(pool) + 1):
        for subset in itertools.combinations(pool, size):
            yield [*subset, *fixed]


def _index_key(entry: dict[str, Any]) -> tuple[str, str, tuple[IndexField, ...]]:
    fields = tuple(
        IndexField(f["fieldPath"], f.get("order") or ("CONTAINS" if f.get("arrayConfig") == "CONTAINS" else "?"))
        for f in entry["fields"]
        if f["fieldPath"] != "__name__"
    )
    return entry["collectionGroup"], entry.get("queryScope", "COLLECTION"), fields


def satisfied_by(need: Requirement, indexes: Sequence[dict[str, Any]]) -> list[tuple[str, str, tuple[IndexField, ...]]]:
    """The index entries that serve the requirement; empty if none does."""
    keys = [_index_key(entry) for entry in indexes]
    mine = [k for k in keys if k[0] == need.collection and k[1] == need.scope]

    def serves(equality: Iterable[IndexField], key: tuple[str, str, tuple[IndexField, ...]]) -> bool:
        eq = list(equality)
        fields = key[2]
        head, tail = fields[: len(eq)], fields[len(eq) :]
        # Equality fields: same set, any direction (a single value has no order), CONTAINS where it is an array filter.
        same_eq = {f.path for f in head} == {f.path for f in eq} and all(
            (h.mode == "CONTAINS") == (next(e for e in eq if e.path == h.path).mode == "CONTAINS") for h in head
        )
        return same_eq and tail == need.ordered

    exact = [k for k in mine if serves(need.equality, k)]
    if exact:
        return exact
    if need.mergeable and need.equality:
        per_field = [[k for k in mine if serves([e], k)] for e in need.equality]
        if all(per_field):
            return [options[0] for options in per_field]
    return []


def minimal_indexes(need: Requirement) -> list[tuple[IndexField, ...]]:
    """What to add for a requirement nothing serves: per-field composites when merging applies, else one exact."""
    if need.mergeable and need.equality:
        return [(e, *need.ordered) for e in need.equality]
    return [(*need.equality, *need.ordered)]


# --- the declarations in the code ---------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(FUNCTIONS).with_suffix("").parts)


def _query_calls(tree: ast.Module) -> tuple[bool, set[str]]:
    """Whether the module builds queries, and the field names it passes as literals to where/FieldFilter/order_by."""
    queries, fields = False, set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in {"where", "order_by", "FieldFilter"}:
            queries = True
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                fields.add(first.value)
    return queries, fields


def _defines_queries(tree: ast.Module) -> bool:
    return any(
        isinstance(stmt, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "QUERIES"
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        )
        for stmt in tree.body
    )


def declaring_modules() -> dict[str, Path]:
    found = {}
    for path in sorted(FUNCTIONS.rglob("*.py")):
        if _defines_queries(ast.parse(path.read_text())):
            found[_module_name(path)] = path
    return found


Declared = tuple[str, str, list[tuple[str | tuple[str, ...], str]]]


def declared_queries() -> list[Declared]:
    """(module, collection, clauses) for every entry of every QUERIES in functions/ (scope in the collection slot)."""
    result: list[Declared] = []
    for module_name in declaring_modules():
        module = importlib.import_module(module_name)
        for entry in module.QUERIES:
            collection, clauses, *rest = entry
            scope = "COLLECTION_GROUP" if rest and rest[0] == "collection_group" else "COLLECTION"
            result.append((module_name, f"{collection}@{scope}", list(clauses)))
    return result


def _requirements() -> list[tuple[str, Requirement]]:
    needs = []
    for module_name, where, clauses in declared_queries():
        collection, scope = where.split("@")
        for concrete in expand(clauses):
            need = required_index(collection, concrete, scope)
            if need is not None:
                needs.append((module_name, need))
    return needs


def _indexes() -> list[dict[str, Any]]:
    return list(json.loads(INDEXES.read_text())["indexes"])


# --- the checks ----------------------------------------------------------------------------------------------------


def test_every_module_that_queries_declares_its_queries() -> None:
    missing, undeclared_fields = [], {}
    for path in sorted(FUNCTIONS.rglob("*.py")):
        tree = ast.parse(path.read_text())
        queries, fields = _query_calls(tree)
        rel = str(path.relative_to(FUNCTIONS))
        if not queries or rel in UNDECLARED_FOR_NOW:
            continue
        if not _defines_queries(tree):
            missing.append(rel)
            continue
        declared: set[str] = set()
        for entry in importlib.import_module(_module_name(path)).QUERIES:
            for field, _op in entry[1]:
                declared.update(field if isinstance(field, tuple) else [field])
        extra = fields - declared - {"__name__"}  # the document id orders every index implicitly
        if extra:
            undeclared_fields[rel] = sorted(extra)
    assert not missing, f"these modules query Firestore without a QUERIES declaration: {missing}"
    assert not undeclared_fields, f"fields queried but missing from the module's QUERIES: {undeclared_fields}"


def test_declarations_are_well_formed() -> None:
    queries = declared_queries()
    assert queries, "no module declares QUERIES: the index check would check nothing"
    for module_name, where, clauses in queries:
        assert clauses, f"{module_name}: empty query on {where}"
        for field, op in clauses:
            assert isinstance(op, str), (module_name, field, op)
            assert op.strip().lower() in EQUALITY_OPS | RANGE_OPS | set(ORDER_OPS), f"{module_name}: operator {op!r}"
            names = field if isinstance(field, tuple) else (field,)
            assert all(isinstance(n, str) and n and not n.startswith("<") for n in names), (
                f"{module_name}: field {field!r}; name the fields (a tuple stands for any subset of them)"
            )
            if isinstance(field, tuple):
                assert op.strip().lower() in EQUALITY_OPS, f"{module_name}: a field set works with equality only"


def test_every_declared_query_has_its_index() -> None:
    indexes = _indexes()
    missing = {}
    for module_name, need in _requirements():
        if not satisfied_by(need, indexes):
            for fields in minimal_indexes(need):
                entry = {
                    "collectionGroup": need.collection,
                    "queryScope": need.scope,
                    "fields": [
                        {
                            "fieldPath": f.path,
                            **({"arrayConfig": "CONTAINS"} if f.mode == "CONTAINS" else {"order": f.mode}),
                        }
                        for f in fields
                    ],
                }
                missing[json.dumps(entry)] = module_name
    assert not missing, "add to infra/firestore.indexes.json:\n" + "\n".join(f"{e},  # {m}" for e, m in missing.items())


def test_every_index_serves_a_declared_query() -> None:
    # An index nothing uses still costs a write per document change: keep the file exactly what the code needs.
    used = {key for _module, need in _requirements() for key in satisfied_by(need, _indexes())}
    unused = [entry for entry in _indexes() if _index_key(entry) not in used]
    assert not unused, f"indexes no declared query needs: {unused}"


def test_index_file_is_well_formed_and_unique() -> None:
    data = json.loads(INDEXES.read_text())
    assert set(data) <= {"indexes", "fieldOverrides"}
    keys = [_index_key(entry) for entry in data["indexes"]]
    assert len(keys) == len(set(keys)), "duplicate index"
    for entry in data["indexes"]:
        assert entry["queryScope"] in {"COLLECTION", "COLLECTION_GROUP"}
        assert len(entry["fields"]) >= 2, f"a one-field index is automatic: {entry}"
        for field in entry["fields"]:
            assert ("order" in field) != ("arrayConfig" in field), field
            assert field.get("order", "ASCENDING") in {"ASCENDING", "DESCENDING"}


# --- the helper's own cases ----------------------------------------------------------------------------------------


def _idx(collection: str, *fields: tuple[str, str]) -> dict[str, Any]:
    return {
        "collectionGroup": collection,
        "queryScope": "COLLECTION",
        "fields": [
            {"fieldPath": p, **({"arrayConfig": "CONTAINS"} if m == "CONTAINS" else {"order": m})} for p, m in fields
        ],
    }


@pytest.mark.parametrize(
    "clauses",
    [
        [("status", "==")],
        [("status", "=="), ("kind", "=="), ("opd", "in")],  # merged single-field indexes
        [("created_at", "<"), ("created_at", "order")],  # one field
        [("submitted_at", "order desc")],
        [("tracking_code", "=="), ("__name__", "order")],
    ],
)
def test_queries_single_field_indexes_serve(clauses: list[tuple[str, str]]) -> None:
    assert required_index("submissions", clauses) is None


def test_equality_and_order_on_another_field_needs_a_composite() -> None:
    need = required_index("audit", [("tracking_code", "=="), ("at", "order")])
    assert need is not None
    assert satisfied_by(need, [_idx("audit", ("tracking_code", "ASCENDING"), ("at", "ASCENDING"))])
    assert not satisfied_by(need, [_idx("audit", ("tracking_code", "ASCENDING"), ("at", "DESCENDING"))])
    assert not satisfied_by(need, [_idx("submissions", ("tracking_code", "ASCENDING"), ("at", "ASCENDING"))])
    assert not satisfied_by(need, [_idx("audit", ("at", "ASCENDING"), ("tracking_code", "ASCENDING"))])


def test_range_and_order_on_two_fields_needs_the_order_then_the_range_field() -> None:
    need = required_index("submissions", [("due_at", "<"), ("submitted_at", "order desc")])
    assert need is not None
    assert not need.mergeable
    assert satisfied_by(need, [_idx("submissions", ("submitted_at", "DESCENDING"), ("due_at", "DESCENDING"))])
    assert not satisfied_by(need, [_idx("submissions", ("due_at", "ASCENDING"), ("submitted_at", "DESCENDING"))])


def test_range_ordered_explicitly_keeps_its_direction() -> None:
    need = required_index("submissions", [("status", "=="), ("due_at", "<"), ("due_at", "order desc")])
    assert need is not None
    assert need.ordered == (IndexField("due_at", "DESCENDING"),)


def test_several_equalities_and_one_ordered_field_merge_per_field_indexes() -> None:
    need = required_index("submissions", [("status", "=="), ("kind", "=="), ("submitted_at", "order desc")])
    assert need is not None
    per_field = [
        _idx("submissions", ("status", "ASCENDING"), ("submitted_at", "DESCENDING")),
        _idx("submissions", ("kind", "ASCENDING"), ("submitted_at", "DESCENDING")),
    ]
    assert len(satisfied_by(need, per_field)) == 2
    assert not satisfied_by(need, per_field[:1])
    assert satisfied_by(
        need, [_idx("submissions", ("kind", "DESCENDING"), ("status", "ASCENDING"), ("submitted_at", "DESCENDING"))]
    )


def test_array_contains_needs_the_array_config() -> None:
    need = required_index("notifications", [("tags", "array_contains"), ("created_at", "order")])
    assert need is not None
    assert satisfied_by(need, [_idx("notifications", ("tags", "CONTAINS"), ("created_at", "ASCENDING"))])
    assert not satisfied_by(need, [_idx("notifications", ("tags", "ASCENDING"), ("created_at", "ASCENDING"))])


def test_a_field_set_expands_to_every_subset() -> None:
    shapes = list(expand([(("status", "kind"), "=="), ("submitted_at", "order desc")]))
    assert len(shapes) == 4
    assert [("status", "=="), ("kind", "=="), ("submitted_at", "order desc")] in shapes
    assert [("submitted_at", "order desc")] in shapes


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        required_index("submissions", [("status", "equals")])
