"""Static checks of infra/ (CI cannot run `terraform validate`: no provider downloads here, see README "Deploy").

Every .tf parses; everything that routes requests and events comes from topology.json through for_each; every
target that functions/main.py exports, every topic and subscription has its resource; the URL map sends each path
where the local gateway does; the functions' environment is what functions/settings.py reads; every checkov skip
carries a reason. checkov itself runs in `nox -s infra` (the `tests` session queues it).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from devstack.topology import Route, match_route

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
TOPOLOGY = json.loads((INFRA / "topology.json").read_text())
TF_FILES = sorted(INFRA.glob("*.tf"))

# Contract section 4 and 5 (CONTRACT.md): what production must have whatever topology.json says.
CONTRACT_TOPICS = {"submission-events", "submission-events-dead-letter", "report-requests"}
CONTRACT_EVENT_TARGETS = {"send_sms_notification": "submission-events", "build_nightly_report": "report-requests"}

# In topology (and so deployed) before functions/main.py exports them, while their issue is in progress. Remove an
# entry once main.py exports it (the test below then checks it like every other target).
PENDING_TARGETS: set[str] = set()
# Variables the functions get before functions/settings.py has their field: the reports issue is in progress.
PENDING_SETTINGS = {"BAHAGIA_REPORTS_BUCKET"}


def _clean(value: Any) -> Any:
    """python-hcl2 keeps the quotes of literal strings and keys: drop them, and its comment bookkeeping."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k not in {"__comments__", "__is_block__"}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return _clean(hcl2.load(handle))


@pytest.fixture(scope="module")
def tf() -> dict[str, Any]:
    """Every block of every .tf file: resources as {type: {name: body}}, locals, variables, outputs, data."""
    merged: dict[str, Any] = {"resource": {}, "data": {}, "locals": {}, "variable": {}, "output": {}, "terraform": []}
    for path in TF_FILES:
        parsed = _load(path)
        for block in parsed.get("resource", []) + parsed.get("data", []):
            kind = "resource" if block in parsed.get("resource", []) else "data"
            for rtype, named in block.items():
                for name, body in named.items():
                    assert name not in merged[kind].setdefault(rtype, {}), f"{rtype}.{name} declared twice"
                    merged[kind][rtype][name] = body
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for block in parsed.get("variable", []):
            merged["variable"].update(block)
        for block in parsed.get("output", []):
            merged["output"].update(block)
        merged["terraform"].extend(parsed.get("terraform", []))
    return merged


def _exported_targets() -> set[str]:
    """The targets of functions/main.py's TARGETS table (read, not imported: importing would load every target)."""
    tree = ast.parse((REPO / "functions" / "main.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TARGETS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("functions/main.py has no TARGETS")


def _topology_targets() -> set[str]:
    internal = {entry["target"] for entry in TOPOLOGY["internal_http_targets"]}
    return set(TOPOLOGY["http_targets"]) | internal | set(TOPOLOGY["event_targets"])


# --- files ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: p.name)
def test_every_tf_file_parses(path: Path) -> None:
    parsed = _load(path)
    assert parsed, f"{path.name} is empty"


def test_the_expected_files_exist() -> None:
    names = {path.name for path in TF_FILES}
    assert {
        "versions.tf",
        "variables.tf",
        "outputs.tf",
        "locals.tf",
        "functions.tf",
        "pubsub.tf",
        "gateway.tf",
    } <= names
    assert (INFRA / "firestore.rules").is_file()
    assert (INFRA / "firestore.indexes.json").is_file()


def test_providers_are_pinned_exactly(tf: dict[str, Any]) -> None:
    required = {}
    for block in tf["terraform"]:
        for providers in block.get("required_providers", []):
            required.update(providers)
    assert {"google", "google-beta", "archive"} <= set(required)
    for name, spec in required.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]), f"{name} is not pinned: {spec['version']}"
    assert required["google"]["version"] == required["google-beta"]["version"]


def test_variables_and_outputs_are_documented(tf: dict[str, Any]) -> None:
    assert {"project_id", "region", "domain", "sms_provider", "staff_audience"} <= set(tf["variable"])
    for name, body in {**tf["variable"], **tf["output"]}.items():
        assert len(body.get("description", "")) >= 20, f"{name} needs a description"
    assert {"gateway_ip", "function_urls", "secrets_to_fill", "reports_bucket"} <= set(tf["output"])


# --- function targets --------------------------------------------------------------------------------------------


def test_topology_covers_every_exported_target() -> None:
    exported = _exported_targets()
    assert exported, "main.py exports nothing?"
    missing = exported - _topology_targets()
    assert not missing, (
        f"exported by functions/main.py but absent from infra/topology.json (so not deployed): {missing}"
    )


def test_every_topology_target_is_exported_by_main() -> None:
    # A function resource whose entry point main.py lacks fails at deploy time.
    unknown = _topology_targets() - _exported_targets() - PENDING_TARGETS
    assert not unknown, f"in topology.json but not exported by functions/main.py: {unknown}"


def test_targets_come_from_topology(tf: dict[str, Any]) -> None:
    local = tf["locals"]
    assert local["topology"] == '${jsondecode(file("${path.module}/topology.json"))}'
    assert local["http_targets"] == "${toset(local.topology.http_targets)}"
    assert "local.topology.internal_http_targets" in local["internal_targets"]
    assert local["event_targets"] == "${toset(local.topology.event_targets)}"
    assert local["all_targets"] == "${setunion(local.http_targets, keys(local.internal_targets), local.event_targets)}"
    assert "local.all_targets" in local["functions"]


def test_every_target_has_a_function_resource(tf: dict[str, Any]) -> None:
    functions = tf["resource"]["google_cloudfunctions2_function"]
    assert set(functions) == {"fn"}, "one resource iterated over every target, nothing per target by hand"
    fn = functions["fn"]
    assert fn["for_each"] == "${local.functions}"
    build = fn["build_config"][0]
    assert build["runtime"] == "python311"
    assert build["entry_point"] == "${each.key}"
    # Each per-target companion iterates over the same targets.
    assert tf["resource"]["google_service_account"]["fn"]["for_each"] == "${local.functions}"
    assert tf["resource"]["google_compute_region_network_endpoint_group"]["fn"]["for_each"] == "${local.http_targets}"
    assert tf["resource"]["google_compute_backend_service"]["fn"]["for_each"] == "${local.http_targets}"
    assert tf["resource"]["google_cloud_scheduler_job"]["internal"]["for_each"] == "${local.internal_targets}"


def test_service_account_ids_fit_every_target() -> None:
    # account_id "fn-<target with hyphens>": 6-30 characters, lowercase, digits, hyphens.
    for target in _topology_targets():
        account = "fn-" + target.replace("_", "-")
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account), f"{target}: {account} is not a valid account id"


def _function_settings(tf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    defaults = tf["locals"]["function_defaults"]
    overrides = tf["locals"]["function_overrides"]
    return {target: {**defaults, **overrides.get(target, {})} for target in _topology_targets()}


def test_overrides_name_real_targets(tf: dict[str, Any]) -> None:
    stale = set(tf["locals"]["function_overrides"]) - _topology_targets()
    assert not stale, f"sizing for targets topology.json does not have: {stale}"


def test_function_sizing_is_consistent(tf: dict[str, Any]) -> None:
    settings = _function_settings(tf)
    for target, fn in settings.items():
        assert 1 <= fn["max_instances"] <= 100, target
        assert 1 <= fn["concurrency"] <= 80, target
        assert 1 <= fn["timeout_seconds"] <= 540, (
            target
        )  # beyond 540 s an HTTP-triggered gen2 function times out anyway
        if fn["concurrency"] > 1:
            assert float(fn["cpu"]) >= 1, f"{target}: concurrency > 1 needs a whole vCPU"
        assert fn["min_instances"] in (0, "${var.warm_instances}"), target
    # The citizen-facing paths are kept warm (docs/ARCHITECTURE.md, "Cold starts"); nothing else pays for idling.
    warm = {target for target, fn in settings.items() if fn["min_instances"] != 0}
    assert warm == {"submit_application", "submit_complaint", "send_sms_notification"}
    assert tf["variable"]["warm_instances"]["default"] == 1
    # An event handler must finish before Pub/Sub gives up on the push and redelivers it.
    for sub in TOPOLOGY["subscriptions"]:
        if "push_target" in sub:
            fn = settings[sub["push_target"]]
            assert fn["timeout_seconds"] < sub["ack_deadline_seconds"], sub["name"]
    # Two relays at once would publish the same outbox entries twice.
    for entry in TOPOLOGY["internal_http_targets"]:
        if entry["target"] == "relay_outbox":
            assert settings["relay_outbox"]["max_instances"] == 1
    assert settings["list_programs"]["firestore"] is False


def test_least_privilege_grants(tf: dict[str, Any]) -> None:
    settings = _function_settings(tf)
    publishers = {t for t, fn in settings.items() if fn["publishes"] is not None}
    assert publishers == {
        "submit_application",
        "submit_complaint",
        "open311",  # an Open311 POST is an intake submission: it publishes its submission.received
        "relay_outbox",
        "staff_api",
        "close_stale_followups",
    }
    assert {fn["publishes"] for t, fn in settings.items() if t in publishers} == {"submission-events"}
    bucket_roles = {t: fn["reports_bucket"] for t, fn in settings.items() if fn["reports_bucket"] is not None}
    assert bucket_roles == {
        "build_nightly_report": "roles/storage.objectAdmin",
        "staff_api": "roles/storage.objectViewer",
    }
    resources = tf["resource"]
    # Grants are per topic / bucket / secret, never project-wide for these services.
    assert "google_pubsub_topic_iam_member" in resources
    project_roles = {body["role"] for body in resources["google_project_iam_member"].values() if "role" in body}
    assert not {r for r in project_roles if "pubsub" in r or "storage.objectAdmin" in r or "secretmanager" in r}
    assert (
        resources["google_secret_manager_secret_iam_member"]["fn_reads"]["role"] == "roles/secretmanager.secretAccessor"
    )


# --- events --------------------------------------------------------------------------------------------------------


def test_contract_topics_and_subscriptions_are_in_topology() -> None:
    assert set(TOPOLOGY["topics"]) >= CONTRACT_TOPICS
    by_target = {sub.get("push_target"): sub for sub in TOPOLOGY["subscriptions"]}
    for target, topic in CONTRACT_EVENT_TARGETS.items():
        assert by_target[target]["topic"] == topic
    sms = by_target["send_sms_notification"]
    assert sms["dead_letter_topic"] == "submission-events-dead-letter"
    assert sms["max_delivery_attempts"] == 5
    assert any(
        sub["topic"] == "submission-events-dead-letter" and "push_target" not in sub
        for sub in TOPOLOGY["subscriptions"]
    )
    for sub in TOPOLOGY["subscriptions"]:
        assert sub["topic"] in TOPOLOGY["topics"], sub["name"]
        if "push_target" in sub:
            assert sub["push_target"] in TOPOLOGY["event_targets"], sub["name"]
        if "dead_letter_topic" in sub:
            assert sub["dead_letter_topic"] in TOPOLOGY["topics"], sub["name"]


def test_every_topic_and_subscription_has_a_resource(tf: dict[str, Any]) -> None:
    local, resources = tf["locals"], tf["resource"]
    assert local["topics"] == "${toset(local.topology.topics)}"
    assert resources["google_pubsub_topic"]["topic"]["for_each"] == "${local.topics}"
    # Push and pull partition the subscriptions: each one of topology.json lands in exactly one resource.
    assert "local.topology.subscriptions" in local["push_subscriptions"]
    assert "local.topology.subscriptions" in local["pull_subscriptions"]
    assert "try(sub.push_target, null) != null" in local["push_subscriptions"]
    assert "try(sub.push_target, null) == null" in local["pull_subscriptions"]
    subs = resources["google_pubsub_subscription"]
    assert subs["push"]["for_each"] == "${local.push_subscriptions}"
    assert subs["pull"]["for_each"] == "${local.pull_subscriptions}"


def test_push_subscriptions_use_oidc_the_topic_path_and_a_dead_letter_policy(tf: dict[str, Any]) -> None:
    push = tf["resource"]["google_pubsub_subscription"]["push"]
    config = push["push_config"][0]
    # functions-framework converts a raw push body to a CloudEvent when the path names projects/P/topics/T.
    assert config["push_endpoint"].endswith("/projects/${var.project_id}/topics/${each.value.topic}")
    assert "service_config[0].uri" in config["push_endpoint"]
    oidc = config["oidc_token"][0]
    assert oidc["service_account_email"] == "${google_service_account.pubsub_push.email}"
    assert "service_config[0].uri" in oidc["audience"]
    assert push["retry_policy"][0]["minimum_backoff"] == "${each.value.retry_minimum_backoff}"
    dead_letter = push["dynamic"][0]["dead_letter_policy"]
    assert "max_delivery_attempts" in dead_letter["content"][0]
    # The Pub/Sub service agent may publish to the dead-letter topic and acknowledge on the source subscription.
    resources = tf["resource"]
    assert (
        resources["google_pubsub_topic_iam_member"]["agent_publishes_dead_letters"]["role"] == "roles/pubsub.publisher"
    )
    assert (
        resources["google_pubsub_subscription_iam_member"]["agent_acks_dead_letters"]["role"]
        == "roles/pubsub.subscriber"
    )


def test_scheduler_jobs(tf: dict[str, Any]) -> None:
    jobs = tf["resource"]["google_cloud_scheduler_job"]
    report = jobs["report_requests"]
    assert report["schedule"] == "30 0 * * *"
    assert report["time_zone"] == "Asia/Jakarta"
    assert report["pubsub_target"][0]["topic_name"] == '${google_pubsub_topic.topic["report-requests"].id}'
    internal = jobs["internal"]
    assert internal["schedule"] == "${each.value.schedule}"
    assert (
        internal["http_target"][0]["oidc_token"][0]["service_account_email"]
        == "${google_service_account.scheduler.email}"
    )
    assert [entry["schedule"] for entry in TOPOLOGY["internal_http_targets"] if entry["target"] == "relay_outbox"] == [
        "* * * * *"
    ]


# --- the gateway -------------------------------------------------------------------------------------------------


def _url_map_target(path: str) -> str | None:
    """What the URL map in gateway.tf does: path rules from topology routes plus /v1 and /v1/* -> default_target,
    the most specific (longest) matching path wins, anything else to the static bucket (None)."""
    rules = {route["path"]: route["target"] for route in TOPOLOGY["routes"]}
    rules.setdefault("/v1", TOPOLOGY["default_target"])
    rules.setdefault("/v1/*", TOPOLOGY["default_target"])
    best: tuple[int, str] | None = None
    for rule, target in rules.items():
        hit = path.startswith(rule[:-1]) if rule.endswith("/*") else path == rule
        if hit and (best is None or len(rule.rstrip("*")) > best[0]):
            best = (len(rule.rstrip("*")), target)
    return best[1] if best else None


def _sample_paths() -> list[str]:
    paths = {"/", "/index.html", "/v1", "/v1/", "/v1/unknown", "/v1x", "/favicon.ico"}
    for route in TOPOLOGY["routes"]:
        base = route["path"].rstrip("*")
        paths |= {
            route["path"].replace("*", ""),
            base + "ABCD2345",
            base + "a/b",
            base.rstrip("/"),
            base.rstrip("/") + "x",
        }
    return sorted(paths)


def test_url_map_rules_are_valid() -> None:
    seen: dict[str, str] = {}
    for route in TOPOLOGY["routes"]:
        path = route["path"]
        assert path.startswith("/"), path
        assert "*" not in path[:-1], path
        assert not path.endswith("*") or path.endswith("/*"), f"{path}: a URL map wildcard must follow a slash"
        assert path not in seen, f"{path} routed twice"
        seen[path] = route["target"]
        assert route["target"] in TOPOLOGY["http_targets"], f"{path}: routed to a non-HTTP target"
    assert TOPOLOGY["default_target"] in TOPOLOGY["http_targets"]
    assert TOPOLOGY["static"]["path"] == "/*"


@pytest.mark.parametrize("path", _sample_paths())
def test_url_map_routes_like_the_local_gateway(path: str) -> None:
    routes = [Route(r["path"], r["target"]) for r in TOPOLOGY["routes"]]
    assert _url_map_target(path) == match_route(routes, TOPOLOGY["default_target"], path)


def test_url_map_is_generated_from_topology(tf: dict[str, Any]) -> None:
    assert "local.topology.routes" in tf["locals"]["route_paths"]
    url_map = tf["resource"]["google_compute_url_map"]["gateway"]
    matcher = url_map["path_matcher"][0]
    assert matcher["default_service"] == "${google_compute_backend_bucket.web.id}"
    dynamic_rule = matcher["dynamic"][0]["path_rule"]
    assert dynamic_rule["for_each"] == "${local.route_paths}"
    assert dynamic_rule["content"][0]["service"] == "${google_compute_backend_service.fn[path_rule.key].id}"
    fixed = matcher["path_rule"][0]
    assert fixed["paths"] == ["/v1", "/v1/*"]
    assert fixed["service"] == "${google_compute_backend_service.fn[local.topology.default_target].id}"
    assert tf["resource"]["google_compute_managed_ssl_certificate"]["gateway"]["managed"][0]["domains"] == [
        "${var.domain}"
    ]


# --- environment -------------------------------------------------------------------------------------------------


def _env_names() -> set[str]:
    text = "\n".join(path.read_text() for path in TF_FILES)
    names = set(re.findall(r"\b(BAHAGIA_[A-Z0-9_]+)\s*=", text))
    names |= set(re.findall(r'env\s*=\s*"(BAHAGIA_[A-Z0-9_]+)"', text))
    return names


def test_every_bahagia_variable_is_a_setting() -> None:
    from settings import Settings

    fields = {f"BAHAGIA_{name.upper()}" for name in Settings.model_fields}
    names = _env_names()
    assert {"BAHAGIA_PIN_PEPPER", "BAHAGIA_COOKIE_KEY", "BAHAGIA_ID_KEY", "BAHAGIA_ENVIRONMENT"} <= names
    assert {"BAHAGIA_PROJECT_ID", "BAHAGIA_FUNCTION_TARGET"} <= names
    unknown = names - fields - PENDING_SETTINGS
    assert not unknown, f"infra sets variables functions/settings.py does not read: {unknown}"


def _target_secrets(tf: dict[str, Any], target: str) -> set[str]:
    """The Secret Manager entries (keys of local.secrets) Terraform hands one function."""
    locals_ = tf["locals"]
    raw = locals_["function_overrides"].get(target, {}).get("secrets", locals_["function_defaults"]["secrets"])
    text = json.dumps(raw)
    for _ in range(5):  # expand local.<name> references (they may name each other), then read the secret names
        text = re.sub(r"local\.(\w+)", lambda m: json.dumps(locals_.get(m.group(1), "")), text)
    return {name for name in locals_["secrets"] if re.search(rf"\b{name}\b", text)}


def _production_env(tf: dict[str, Any], target: str) -> dict[str, str]:
    """What Terraform gives one function (functions.tf, environment_variables and its secrets)."""
    placeholders = {
        "${var.project_id}": "kota-jambi-bahagia",
        "${local.public_base_url}": "https://layanan.jambikota.go.id",
        "${var.staff_audience}": "1234.apps.googleusercontent.com",
    }
    locals_ = tf["locals"]
    env = {**locals_["common_env"], "BAHAGIA_FUNCTION_TARGET": target}
    if target in TOPOLOGY["http_targets"]:
        env.update(locals_["http_env"])
    override_env = locals_["function_overrides"].get(target, {}).get("env", {})
    if isinstance(override_env, dict):
        env.update(override_env)
    for secret in sorted(_target_secrets(tf, target)):
        variable = locals_["secrets"][secret]["env"]
        if variable.startswith("BAHAGIA_"):
            env[variable] = f"{secret}-a-random-value-from-secret-manager-0123456789"
    return {key: placeholders.get(value, value) for key, value in env.items() if isinstance(value, str)}


def _only(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("BAHAGIA_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_each_function_gets_exactly_the_secrets_its_settings_require(tf: dict[str, Any]) -> None:
    from settings import KEY_VARIABLES, TARGET_KEYS

    variables = {entry["env"]: name for name, entry in tf["locals"]["secrets"].items()}
    targets = set(TOPOLOGY["http_targets"]) | set(TOPOLOGY["event_targets"])
    targets |= {entry["target"] for entry in TOPOLOGY["internal_http_targets"]}
    assert set(TARGET_KEYS) == targets
    for target in targets:
        given = {variables[KEY_VARIABLES[k]] for k in TARGET_KEYS[target]}
        keys = {
            name
            for name in _target_secrets(tf, target)
            if tf["locals"]["secrets"][name]["env"] in KEY_VARIABLES.values()
        }
        assert keys == given, target


@pytest.mark.parametrize("target", [*sorted(TOPOLOGY["http_targets"]), "send_sms_notification", "relay_outbox"])
def test_settings_validate_with_the_production_environment(
    tf: dict[str, Any], monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """A cold start in production must not fail on what Terraform gives the function, nor start without a secret."""
    from pydantic import ValidationError

    from settings import KEY_VARIABLES, TARGET_KEYS, Settings

    env = _production_env(tf, target)
    _only(monkeypatch, env)
    settings = Settings()
    assert (settings.environment, settings.staff_auth) == ("production", "google")
    assert settings.public_base_url.startswith("https://")
    for key in TARGET_KEYS[target]:
        assert getattr(settings.keys, {"pin": "pin_pepper"}.get(key, key))
    for variable in [name for name in env if name in KEY_VARIABLES.values()]:
        _only(monkeypatch, {k: v for k, v in env.items() if k != variable})
        with pytest.raises(ValidationError, match=variable):
            Settings()


# --- checkov -----------------------------------------------------------------------------------------------------


def test_every_checkov_skip_has_a_reason() -> None:
    pattern = re.compile(r"checkov:skip=(\S*)")
    skips = 0
    for path in TF_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "checkov:skip" not in line:
                continue
            skips += 1
            match = re.search(r"#\s*checkov:skip=(CKV2?_[A-Z]+_\d+):\s*(.+)$", line)
            assert match, f"{path.name}:{number}: write `# checkov:skip=CKV_..: reason`"
            assert len(match.group(2).split()) >= 8, (
                f"{path.name}:{number}: give the reason, not a word: {line.strip()}"
            )
            assert pattern.search(line)
    assert skips, "no skip at all: then this test checks nothing, and checkov has become unexpectedly quiet"


def test_checkov_runs_without_global_skips() -> None:
    noxfile = (REPO / "noxfile.py").read_text()
    assert '"checkov", "--directory", "infra"' in noxfile
    assert "--skip-check" not in noxfile
    assert "--soft-fail" not in noxfile
    assert not list(REPO.glob(".checkov.y*ml"))
    assert not list(INFRA.glob(".checkov.y*ml"))


def test_the_console_reads_googles_client_id_from_a_config_terraform_writes(tf: dict[str, Any]) -> None:
    console_config = tf["resource"]["google_storage_bucket_object"]["console_config"]
    assert console_config["name"] == "petugas/config.json"
    assert "var.staff_audience" in console_config["content"]
    assert not (REPO / "web" / "petugas" / "config.json").exists()  # locally the devstack gateway answers it


# --- what the load balancer and Cloud Run log (issue 11) -------------------------------------------------------


def _route_entry(path: str) -> dict[str, Any] | None:
    """The topology.json entry of the route a path takes (first match, as the local gateway does)."""
    for entry in TOPOLOGY["routes"]:
        if Route(entry["path"], entry["target"]).matches(path):
            return dict(entry)
    return None


@pytest.mark.parametrize("path", ["/v1/complaints", "/v1/track", "/v1/track/ABCD23456", "/v1/receipt/ABCD23456"])
def test_complaint_status_and_receipt_routes_keep_no_request_logs(path: str) -> None:
    # A request log holds the client address and the full URL: next to an anonymous BALAP report's time it names the
    # reporter, and GET /v1/track/CODE?pin=... carries the PIN.
    entry = _route_entry(path)
    assert entry is not None, path
    assert entry.get("request_logs") is False, f"{path} ({entry['target']}) would be logged with the client's address"


def test_request_logs_are_decided_per_target() -> None:
    # Backend service logging is per target: all routes of a target must agree.
    decided: dict[str, set[bool]] = {}
    for entry in TOPOLOGY["routes"]:
        decided.setdefault(entry["target"], set()).add(entry.get("request_logs", True))
    mixed = {target for target, values in decided.items() if len(values) > 1}
    assert not mixed, f"targets with logged and unlogged routes: {mixed}"


def test_unlogged_targets_log_nothing_at_the_load_balancer(tf: dict[str, Any]) -> None:
    local = tf["locals"]
    assert "try(route.request_logs, true) == false" in local["unlogged_routes"]
    assert local["unlogged_targets"] == "${toset([for route in local.unlogged_routes : route.target])}"
    log_config = tf["resource"]["google_compute_backend_service"]["fn"]["log_config"][0]
    assert log_config["enable"] == "${!contains(local.unlogged_targets, each.key)}"
    # Only the required fields on the logged targets: nothing optional is added.
    assert '"EXCLUDE_ALL_OPTIONAL"' in log_config["optional_mode"]
    assert "optional_fields" not in log_config


def _unlogged_url_pattern() -> re.Pattern[str]:
    """What logging.tf's unlogged_url_pattern evaluates to for today's topology (its format() call, in Python)."""
    paths = [
        route["path"][:-1] + ".*" if route["path"].endswith("/*") else route["path"]
        for route in TOPOLOGY["routes"]
        if route.get("request_logs", True) is False
    ]
    return re.compile("^https?://[^/]+({})([?].*)?$".format("|".join(paths)))


def test_an_exclusion_drops_cloud_run_and_load_balancer_request_logs_of_those_paths(tf: dict[str, Any]) -> None:
    local = tf["locals"]
    assert local["unlogged_url_pattern"].startswith('${format("^https?://[^/]+(%s)([?].*)?$", join("|", ')
    assert (
        'endswith(route.path, "/*") ? "${trimsuffix(route.path, "*")}.*" : route.path' in local["unlogged_url_pattern"]
    )
    assert "local.function_names[target]" in local["unlogged_services"]
    exclusion = tf["resource"]["google_logging_project_exclusion"]["citizen_request_logs"]
    text = exclusion["filter"].replace('\\"', '"')
    assert 'resource.type="http_load_balancer" AND httpRequest.requestUrl=~"${local.unlogged_url_pattern}"' in text
    assert 'log_id("run.googleapis.com/requests")' in text
    assert "resource.labels.service_name=(${local.unlogged_services})" in text
    pattern = _unlogged_url_pattern()
    for url in (
        "https://layanan.jambikota.go.id/v1/complaints",
        "https://layanan.jambikota.go.id/v1/track/ABCD23456?pin=123456",
        "https://layanan.jambikota.go.id/v1/track",
        "https://layanan.jambikota.go.id/v1/receipt/ABCD23456",
    ):
        assert pattern.match(url), url
    for url in ("https://layanan.jambikota.go.id/v1/programs", "https://layanan.jambikota.go.id/v1/complaintsx"):
        assert not pattern.match(url), url


# --- static pages, NEGs, alerts (issue 11) ----------------------------------------------------------------------


def test_static_pages_carry_csp_hsts_and_frame_ancestors_from_topology(tf: dict[str, Any]) -> None:
    headers = TOPOLOGY["static"]["response_headers"]
    csp = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in headers["Content-Security-Policy"].split(";")) if d}
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"], "no inline script, no eval: forms.js is a file"
    assert not [d for d, values in csp.items() if any("unsafe" in v for v in values)]
    max_age = re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"])
    assert max_age
    assert int(max_age.group(1)) >= 31_536_000
    assert headers["X-Content-Type-Options"] == "nosniff"
    bucket = tf["resource"]["google_compute_backend_bucket"]["web"]
    assert bucket["custom_response_headers"] == (
        '${[for name, value in local.topology.static.response_headers : "${name}: ${value}"]}'
    )


def test_serverless_negs_point_at_the_cloud_run_service_of_each_gen2_function(tf: dict[str, Any]) -> None:
    neg = tf["resource"]["google_compute_region_network_endpoint_group"]["fn"]
    assert "cloud_function" not in neg
    assert neg["cloud_run"][0]["service"] == "${google_cloudfunctions2_function.fn[each.key].service_config[0].service}"


def test_alerts_on_dead_letters_and_gateway_5xx(tf: dict[str, Any]) -> None:
    resources, local = tf["resource"], tf["locals"]
    assert {"alert_email", "alert_notification_channels"} <= set(tf["variable"])
    assert "var.alert_notification_channels" in local["alert_channels"]
    assert "google_monitoring_notification_channel.email" in local["alert_channels"]
    policies = resources["google_monitoring_alert_policy"]
    for policy in policies.values():
        assert policy["notification_channels"] == "${local.alert_channels}"
    dead = policies["dead_letters"]
    assert dead["for_each"] == "${local.dead_letter_holds}"
    assert "local.pull_subscriptions" in local["dead_letter_holds"]
    assert "local.dead_letter_topics" in local["dead_letter_holds"]
    condition = dead["conditions"][0]["condition_threshold"][0]
    assert "pubsub.googleapis.com/subscription/num_undelivered_messages" in condition["filter"]
    assert "google_pubsub_subscription.pull[each.key].name" in condition["filter"]
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 0)
    # Today's topology: the hold subscription of the SMS dead letters is what it watches.
    holds = {
        sub["name"]
        for sub in TOPOLOGY["subscriptions"]
        if "push_target" not in sub and sub["topic"] in {s.get("dead_letter_topic") for s in TOPOLOGY["subscriptions"]}
    }
    assert holds == {"submission-events-dead-letter-hold"}
    errors = policies["gateway_5xx"]["conditions"][0]["condition_threshold"][0]
    assert "loadbalancing.googleapis.com/https/request_count" in errors["filter"]
    assert "metric.labels.response_code_class = 500" in errors["filter"]
    assert "google_compute_url_map.gateway.name" in errors["filter"]
    assert errors["comparison"] == "COMPARISON_GT"
    apis = resources["google_project_service"]["api"]["for_each"]
    assert "monitoring.googleapis.com" in apis
    assert "logging.googleapis.com" in apis
