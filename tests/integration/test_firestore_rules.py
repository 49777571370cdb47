"""infra/firestore.rules on the real emulator: no client SDK request may read or write any collection the code uses.

The emulator judges a REST request by the rules unless it carries `Authorization: Bearer owner` (what the server
libraries send it, standing in for IAM). Documents are seeded as owner; then every read and write form a client SDK
has (get, list, query, collection-group query, create, update, delete, commit) is tried anonymously and as a
signed-in Firebase user, and must be refused without changing anything.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.components import MissingSystemPackage, check_system

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "infra" / "firestore.rules"
FUNCTIONS = REPO / "functions"
PROJECT = "demo-bahagia-rules"
DOCUMENTS = f"/v1/projects/{PROJECT}/databases/(default)/documents"
OWNER = {"Authorization": "Bearer owner"}
EMULATOR_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"

# Named in the issue and in docs/ARCHITECTURE.md; tested even before code for them lands. The code is the other
# source: discovered_collections() finds every name it passes to .collection() / .collection_group().
KNOWN_COLLECTIONS = frozenset(
    {
        "submissions",
        "idempotency_keys",
        "open_applications",
        "outbox",
        "rate_limits",
        "notifications",
        "sms_optouts",
        "sms_daily_counts",
        "sms_budgets",
        "audit",
        "staff",
        "reports",
        "counters",
    }
)


# --- which collections the code uses ---------------------------------------------------------------------------


def _assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """NAME = value at module level and in class bodies."""
    bodies = [tree.body] + [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for body in bodies:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, value


def _strings_in(value: ast.expr) -> set[str] | None:
    """A string constant, or a dict (its values) / list / tuple / set of them; None for anything else."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    items = value.values if isinstance(value, ast.Dict) else getattr(value, "elts", None)
    if isinstance(value, ast.Dict | ast.List | ast.Tuple | ast.Set) and items:
        found = [_strings_in(item) for item in items if item is not None]
        if all(f is not None and len(f) == 1 for f in found):
            return {s for f in found if f for s in f}
    return None


class _Resolver:
    """Resolves the argument of a .collection() call to the collection names it can take."""

    def __init__(self, trees: dict[Path, ast.Module]) -> None:
        self.trees = trees
        self.module_values = {path: self._values(tree) for path, tree in trees.items()}
        self.global_values: dict[str, set[str]] = {}
        for values in self.module_values.values():
            for name, strings in values.items():
                self.global_values.setdefault(name, set()).update(strings)

    @staticmethod
    def _values(tree: ast.Module) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        for name, value in _assignments(tree):
            strings = _strings_in(value)
            if strings is not None:
                result.setdefault(name, set()).update(strings)
        return result

    def resolve(self, path: Path, arg: ast.expr, function: ast.FunctionDef | None, depth: int = 0) -> set[str] | None:
        local = self.module_values[path]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return {arg.value}
        if isinstance(arg, ast.Subscript):  # COLLECTIONS[key]: any value of that constant
            return self.resolve(path, arg.value, function, depth)
        if isinstance(arg, ast.Name) and function is not None and depth < 3:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            if arg.id in params:  # a helper's parameter: every value its callers in this module pass
                return self._from_callers(path, function, params.index(arg.id), arg.id, depth)
        key = arg.id if isinstance(arg, ast.Name) else arg.attr if isinstance(arg, ast.Attribute) else None
        if key is None:
            return None
        # A constant of this module or class (self.NAME), or one imported from another module of the package.
        return local.get(key) or self.global_values.get(key)

    def _from_callers(
        self, path: Path, function: ast.FunctionDef, index: int, name: str, depth: int
    ) -> set[str] | None:
        found: set[str] = set()
        calls = [
            node
            for node in ast.walk(self.trees[path])
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == function.name
        ]
        for call in calls:
            passed = [kw.value for kw in call.keywords if kw.arg == name] or call.args[index : index + 1]
            if not passed:
                return None
            strings = self.resolve(path, passed[0], None, depth + 1)
            if strings is None:
                return None
            found |= strings
        return found or None


def discovered_collections(root: Path = FUNCTIONS) -> tuple[set[str], list[str]]:
    """Collection names passed to .collection()/.collection_group() under root, and the calls it cannot resolve."""
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in sorted(root.rglob("*.py"))}
    resolver = _Resolver(trees)
    names: set[str] = set()
    unresolved: list[str] = []
    for path, tree in trees.items():
        functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        # The innermost function around each call, so a helper's parameter is traced to its callers.
        owner: dict[int, ast.FunctionDef] = {}
        for function in sorted(functions, key=lambda f: (f.lineno, -(f.end_lineno or 0))):
            for node in ast.walk(function):
                owner[id(node)] = function  # type: ignore[assignment]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in {"collection", "collection_group"} or not node.args:
                continue
            strings = resolver.resolve(path, node.args[0], owner.get(id(node)))
            if strings is None:
                unresolved.append(f"{path.relative_to(root)}:{node.lineno}")
            else:
                names |= strings
    return names, unresolved


def test_every_collection_name_in_the_code_can_be_found() -> None:
    names, unresolved = discovered_collections()
    assert not unresolved, (
        "pass collection names to .collection() as a string literal or a module-level constant, so the rules test "
        f"can find them: {unresolved}"
    )
    # The adapters exist: if discovery found nothing, it is broken, not the code.
    assert {"submissions", "outbox"} <= names


def test_discovery_resolves_literals_constants_and_imports(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(
        'LEDGER = "ledger"\n'
        "class Store:\n"
        '    AUDIT = "audit_entries"\n'
        "    def f(self, db):\n"
        '        db.collection("literal_one").document("x").collection(LEDGER)\n'
        "        db.collection(self.AUDIT)\n"
    )
    (tmp_path / "other.py").write_text(
        "from store import LEDGER\n"
        'SOURCES = {"a": "by_key_one", "b": "by_key_two"}\n'
        "def g(db, name, key):\n"
        "    db.collection_group(LEDGER)\n"
        "    db.collection(name)\n"
        "    db.collection(SOURCES[key])\n"
        "def seed(db):\n"
        "    def put(collection, doc):\n"
        "        db.collection(collection).document(doc)\n"
        '    put("seeded_one", "x")\n'
        '    put(SOURCES["a"], "y")\n'
    )
    names, unresolved = discovered_collections(tmp_path)
    assert names == {"literal_one", "ledger", "audit_entries", "by_key_one", "by_key_two", "seeded_one"}
    assert unresolved == ["other.py:5"]  # g's `name` has no caller that says what it is


# --- the emulator -------------------------------------------------------------------------------------------


@dataclass
class RulesEmulator:
    base_url: str
    process: subprocess.Popen[bytes]
    client: httpx.Client

    def request(
        self, method: str, path: str, *, auth: dict[str, str] | None = None, **kwargs: object
    ) -> httpx.Response:
        return self.client.request(method, self.base_url + path, headers=auth or {}, **kwargs)  # type: ignore[arg-type]

    def load_rules(self, source: str) -> None:
        # The emulator's own endpoint for replacing the rules of a running instance (what the Firebase CLI uses).
        body = {"rules": {"files": [{"name": "firestore.rules", "content": source}]}}
        response = self.request("PUT", f"/emulator/v1/projects/{PROJECT}:securityRules", json=body)
        assert response.status_code == 200, response.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def rules_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RulesEmulator]:
    """A Firestore emulator of its own, started with --rules=infra/firestore.rules on a free port."""
    try:
        tools = check_system()
    except MissingSystemPackage as error:
        pytest.fail(str(error), pytrace=False)
    port = _free_port()
    log = tmp_path_factory.mktemp("firestore-rules") / "emulator.log"
    argv = [
        str(tools.java),
        "-cp",
        str(tools.firestore_jar),
        EMULATOR_MAIN_CLASS,
        "start",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--rules={RULES}",
    ]
    with log.open("wb") as out:
        # argv is built here from the installed package's paths, nothing from outside.
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    emulator = RulesEmulator(f"http://127.0.0.1:{port}", process, httpx.Client(timeout=10.0))
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"Firestore emulator exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(emulator.base_url + "/", timeout=1.0).text.strip() == "Ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Firestore emulator not ready after 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield emulator
    finally:
        emulator.client.close()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _user_token() -> dict[str, str]:
    """An unsigned Firebase ID token, which the emulator accepts as a signed-in user (request.auth != null)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": "citizen-1",
        "user_id": "citizen-1",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "password", "identities": {}},
    }
    return {"Authorization": f"Bearer {part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."}


CALLERS = {"anonymous": None, "signed-in user": _user_token()}


def _collections() -> list[str]:
    return sorted(KNOWN_COLLECTIONS | discovered_collections()[0])


def _seed(emulator: RulesEmulator, collection: str) -> str:
    doc_id = "seeded"
    body = {"fields": {"marker": {"stringValue": "original"}, "nested": {"mapValue": {"fields": {}}}}}
    response = emulator.request("PATCH", f"{DOCUMENTS}/{collection}/{doc_id}", auth=OWNER, json=body)
    assert response.status_code == 200, response.text
    # A subcollection too: `match /{document=**}` must cover nested paths.
    response = emulator.request("PATCH", f"{DOCUMENTS}/{collection}/{doc_id}/children/child", auth=OWNER, json=body)
    assert response.status_code == 200, response.text
    return doc_id


def _attempts(collection: str, doc_id: str) -> dict[str, tuple[str, str, dict[str, object]]]:
    doc = f"{DOCUMENTS}/{collection}/{doc_id}"
    changed = {"fields": {"marker": {"stringValue": "changed"}}}
    query = {"structuredQuery": {"from": [{"collectionId": collection}]}}
    group_query = {"structuredQuery": {"from": [{"collectionId": collection, "allDescendants": True}]}}
    commit = {"writes": [{"update": {"name": doc.removeprefix("/v1/"), **changed}}]}
    return {
        "get": ("GET", doc, {}),
        "get missing": ("GET", f"{DOCUMENTS}/{collection}/does-not-exist", {}),
        "get subcollection": ("GET", f"{doc}/children/child", {}),
        "list": ("GET", f"{DOCUMENTS}/{collection}", {}),
        "query": ("POST", f"{DOCUMENTS}:runQuery", {"json": query}),
        "collection group query": ("POST", f"{DOCUMENTS}:runQuery", {"json": group_query}),
        "batch get": ("POST", f"{DOCUMENTS}:batchGet", {"json": {"documents": [doc.removeprefix("/v1/")]}}),
        "create": ("POST", f"{DOCUMENTS}/{collection}?documentId=client-made", {"json": changed}),
        "update": ("PATCH", f"{doc}?updateMask.fieldPaths=marker", {"json": changed}),
        "overwrite": ("PATCH", doc, {"json": changed}),
        "delete": ("DELETE", doc, {}),
        "delete subcollection doc": ("DELETE", f"{doc}/children/child", {}),
        "commit": ("POST", f"{DOCUMENTS}:commit", {"json": commit}),
    }


def _owner_view(emulator: RulesEmulator, collection: str, doc_id: str) -> list[object]:
    doc = f"{DOCUMENTS}/{collection}/{doc_id}"
    seen: list[object] = []
    for path in (doc, f"{doc}/children/child"):
        response = emulator.request("GET", path, auth=OWNER)
        assert response.status_code == 200, f"owner lost {path}: {response.text}"
        seen.append(response.json()["fields"]["marker"]["stringValue"])
    created = emulator.request("GET", f"{DOCUMENTS}/{collection}/client-made", auth=OWNER)
    seen.append(created.status_code)
    return seen


@pytest.mark.parametrize("collection", _collections())
@pytest.mark.parametrize("caller", CALLERS)
def test_clients_can_neither_read_nor_write(rules_emulator: RulesEmulator, collection: str, caller: str) -> None:
    doc_id = _seed(rules_emulator, collection)
    refused = {}
    for name, (method, path, kwargs) in _attempts(collection, doc_id).items():
        response = rules_emulator.request(method, path, auth=CALLERS[caller], **kwargs)
        refused[name] = response.status_code
    assert refused == dict.fromkeys(refused, 403)
    # Nothing changed, nothing was deleted, nothing was created.
    assert _owner_view(rules_emulator, collection, doc_id) == ["original", "original", 404]


def test_the_probe_would_see_a_permissive_rule(rules_emulator: RulesEmulator) -> None:
    """Control: with a rule that allows everything the same requests succeed, so the 403s above come from the rules
    file and not from a malformed request. The deny-all file is loaded back afterwards."""
    collection = "submissions"
    doc_id = _seed(rules_emulator, collection)
    rules_emulator.load_rules(
        "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{database}/documents {\n"
        "    match /{document=**} { allow read, write: if true; }\n  }\n}\n"
    )
    try:
        attempts = _attempts(collection, doc_id)
        statuses = {
            name: rules_emulator.request(method, path, **kwargs).status_code  # type: ignore[arg-type]
            for name, (method, path, kwargs) in attempts.items()
            if name in {"get", "list", "query", "update"}
        }
        assert statuses == {"get": 200, "list": 200, "query": 200, "update": 200}
    finally:
        rules_emulator.load_rules(RULES.read_text())
    # And the real file denies again.
    assert rules_emulator.request("GET", f"{DOCUMENTS}/{collection}/{doc_id}").status_code == 403


def test_rules_file_denies_everything_in_one_match() -> None:
    source = RULES.read_text()
    assert "match /{document=**}" in source
    assert "allow read, write: if false;" in source
    # No other allow statement can open a path the catch-all closes (rules are OR-ed).
    allows = [line.strip() for line in source.splitlines() if line.strip().startswith("allow")]
    assert allows == ["allow read, write: if false;"]
