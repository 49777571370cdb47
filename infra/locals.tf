# Everything that routes requests and events comes from topology.json, the file the local gateway reads too: a
# target, route, topic or subscription added there gets its function, NEG, backend, path rule, topic or subscription
# here through for_each, with no edit to this directory.
locals {
  topology = jsondecode(file("${path.module}/topology.json"))

  http_targets     = toset(local.topology.http_targets)
  internal_targets = { for entry in local.topology.internal_http_targets : entry.target => entry }
  event_targets    = toset(local.topology.event_targets)
  all_targets      = setunion(local.http_targets, keys(local.internal_targets), local.event_targets)

  # Gen2 function and Cloud Run service names take hyphens, not underscores.
  function_names = { for target in local.all_targets : target => replace(target, "_", "-") }

  topics             = toset(local.topology.topics)
  push_subscriptions = { for sub in local.topology.subscriptions : sub.name => sub if try(sub.push_target, null) != null }
  pull_subscriptions = { for sub in local.topology.subscriptions : sub.name => sub if try(sub.push_target, null) == null }

  # URL map path rules: one per target with all of its paths (a path may appear in one rule only).
  route_paths = {
    for target in distinct([for route in local.topology.routes : route.target]) :
    target => [for route in local.topology.routes : route.path if route.target == target]
  }

  labels = merge({ app = "layanan-bahagia", managed-by = "terraform" }, var.labels)

  public_base_url = "https://${var.domain}"

  # Secrets the operator fills after the first apply (README, "Deploy"). `env` is the variable the function sees,
  # named after its field in functions/settings.py. One secret per purpose (functions/settings.py, Keys): a function
  # gets only those it uses (settings.TARGET_KEYS, checked by tests/unit/test_infra.py), and a leaked cookie key, say,
  # neither opens the PIN hashes nor names the NIKs behind the marker documents.
  secrets = {
    pin_pepper                = { secret_id = "bahagia-pin-pepper", env = "BAHAGIA_PIN_PEPPER" }
    cookie_key                = { secret_id = "bahagia-cookie-key", env = "BAHAGIA_COOKIE_KEY" }
    id_key                    = { secret_id = "bahagia-id-key", env = "BAHAGIA_ID_KEY" }
    sms_aws_access_key_id     = { secret_id = "sms-aws-access-key-id", env = "BAHAGIA_SNS_ACCESS_KEY_ID" }
    sms_aws_secret_access_key = { secret_id = "sms-aws-secret-access-key", env = "BAHAGIA_SNS_SECRET_ACCESS_KEY" }
    sms_http_gateway_token    = { secret_id = "sms-http-gateway-token", env = "BAHAGIA_SMS_HTTP_CREDENTIAL" }
    sms_http_inbound_secret   = { secret_id = "sms-http-inbound-secret", env = "BAHAGIA_SMS_HTTP_INBOUND_SECRET" }
    open311_api_keys          = { secret_id = "open311-api-keys", env = "BAHAGIA_OPEN311_API_KEYS" }
  }
  # PIN hashes and derived PINs, the receipt and trusted-device cookies, the HMAC ids of markers and rate limits.
  citizen_secrets = ["pin_pepper", "cookie_key", "id_key"]
  sms_secrets     = var.sms_provider == "sns" ? ["sms_aws_access_key_id", "sms_aws_secret_access_key"] : ["sms_http_gateway_token"]
  # The webhook answers through the same provider and, with the HTTP gateway, checks its HMAC with one more secret.
  sms_webhook_secrets = concat(["id_key"], local.sms_secrets, var.sms_provider == "http" ? ["sms_http_inbound_secret"] : [])

  # functions/settings.py reads these (prefix BAHAGIA_); tests/unit/test_infra.py checks every BAHAGIA_ name here
  # against that file and that Settings validates with them in production.
  common_env = {
    BAHAGIA_PROJECT_ID              = var.project_id
    BAHAGIA_ENVIRONMENT             = "production"
    BAHAGIA_PUBLIC_BASE_URL         = local.public_base_url
    BAHAGIA_SUBMISSION_EVENTS_TOPIC = "submission-events"
    BAHAGIA_REPORT_REQUESTS_TOPIC   = "report-requests"
    # Settings refuses local staff tokens in production, in every function (it validates at cold start).
    BAHAGIA_STAFF_AUTH = "google"
    LOG_EXECUTION_ID   = "true"
  }
  # Behind the load balancer, X-Forwarded-For gets two entries (the client, then the balancer itself).
  http_env = { BAHAGIA_TRUSTED_PROXY_HOPS = "2" }
  sms_env = merge(
    { BAHAGIA_SMS_PROVIDER = var.sms_provider, BAHAGIA_SNS_REGION = var.sms_aws_region, BAHAGIA_SNS_SENDER_ID = var.sms_sender_id },
    var.sms_http_url == "" ? {} : { BAHAGIA_SMS_HTTP_URL = var.sms_http_url },
    var.sms_http_sender == "" ? {} : { BAHAGIA_SMS_HTTP_SENDER = var.sms_http_sender },
  )

  # Sizing and access of each target. Why these numbers:
  # - CPU: 1 vCPU everywhere, because gen2 allows concurrency > 1 only from 1 vCPU, and CPU is billed only while a
  #   request is served (CPU throttling stays on).
  # - concurrency: the HTTP targets wait on Firestore and Pub/Sub most of the time (I/O bound), so one instance serves
  #   ~20 requests at once; pydantic validation of a 64 KiB body is a few ms of CPU.
  # - max_instances: a cost and abuse ceiling. 20 x 20 = 400 concurrent intake requests is far above what a city of
  #   ~620,000 people sends (hundreds per hour on a busy day) and keeps a scripted flood from buying instances; it also
  #   bounds the write rate to Firestore well under its limits without a ramp-up.
  # - timeout: a request spends at most firestore_timeout_seconds (4 s) per call and publish_timeout_seconds (5 s)
  #   on Pub/Sub, so 30 s covers a few calls with margin; an event handler's timeout stays under its subscription's
  #   ack deadline so that Pub/Sub never redelivers a message that is still being worked on.
  function_defaults = {
    memory          = "512Mi"
    cpu             = "1"
    timeout_seconds = 60
    concurrency     = 10
    max_instances   = 5
    min_instances   = 0
    firestore       = true
    publishes       = null
    reports_bucket  = null
    secrets         = []
    env             = {}
  }
  function_overrides = {
    # Serves the catalogue and the OpenAPI document from memory: small, fast, many at once.
    list_programs = { memory = "256Mi", timeout_seconds = 10, concurrency = 80, max_instances = 10, firestore = false }
    # One atomic batch and one publish per request; pydantic models and both Google clients want 512Mi. Kept warm
    # (var.warm_instances): a citizen's first form post of the morning must not wait seconds for a cold start.
    submit_application = { timeout_seconds = 30, concurrency = 20, max_instances = 20, min_instances = var.warm_instances, publishes = "submission-events", secrets = local.citizen_secrets }
    submit_complaint   = { timeout_seconds = 30, concurrency = 20, max_instances = 20, min_instances = var.warm_instances, publishes = "submission-events", secrets = local.citizen_secrets }
    # PIN checks hash with a work factor (CPU), so fewer requests per instance than intake.
    track_submission = { timeout_seconds = 15, concurrency = 10, max_instances = 20, secrets = local.citizen_secrets }
    # Called every minute by Cloud Scheduler; one instance at a time so two relays never race on the same entries.
    relay_outbox = { memory = "256Mi", timeout_seconds = 120, concurrency = 1, max_instances = 1, publishes = "submission-events" }
    # One SMS per event. 5 x 10 = 50 sends in flight stays under SNS's default SMS rate (20/s) at a few hundred ms
    # each; a backlog waits in Pub/Sub, which is what it is for. Timeout < the subscription's 60 s ack deadline.
    # Kept warm like intake: the receipt SMS should arrive while the citizen still holds the phone.
    send_sms_notification = { timeout_seconds = 55, concurrency = 10, max_instances = 5, min_instances = var.warm_instances, secrets = concat(["id_key"], local.sms_secrets), env = local.sms_env }
    # Renders HTML with charts and a map for one date: memory for the GeoJSON and templates, one report at a time,
    # timeout under the subscription's 600 s ack deadline.
    build_nightly_report = { memory = "1Gi", timeout_seconds = 540, concurrency = 1, max_instances = 2, reports_bucket = "roles/storage.objectAdmin" }
    # Daily sweep that closes stale follow-ups through the same transition code (publishes status changes); one at
    # a time, and a generous timeout for a backlog after a holiday.
    close_stale_followups = { timeout_seconds = 300, concurrency = 1, max_instances = 1, publishes = "submission-events" }
    # Texts citizens send and delivery receipts: a reply is one claim and one send, like a receipt. Same provider
    # credentials as send_sms_notification, and the SNS topics it accepts (SigningCertURL checked, topic allow-list).
    sms_webhook = { timeout_seconds = 30, concurrency = 10, max_instances = 5, secrets = local.sms_webhook_secrets, env = merge(local.sms_env, { BAHAGIA_SMS_SNS_INBOUND_TOPICS = var.sms_sns_inbound_topics, BAHAGIA_SMS_SNS_EVENTS_TOPICS = var.sms_sns_events_topics }) }
    # Open311 partners: a POST is an intake submission (one batch, one publish); shapely and numpy (point in
    # polygon) want memory headroom on the first POST with a point.
    open311 = { memory = "1Gi", timeout_seconds = 30, concurrency = 20, max_instances = 10, publishes = "submission-events", secrets = ["pin_pepper", "id_key", "open311_api_keys"] }
    # Staff are tens of people: few instances; reads report files it serves (viewer only), publishes status changes
    # and, for the Call Center desk, the receipt events of the complaints it files (the intake path: its secrets).
    staff_api = { timeout_seconds = 30, concurrency = 20, max_instances = 5, publishes = "submission-events", reports_bucket = "roles/storage.objectViewer", secrets = ["pin_pepper", "id_key"], env = { BAHAGIA_STAFF_AUDIENCE = var.staff_audience } }
  }

  functions = {
    for target in local.all_targets : target => merge(
      local.function_defaults,
      lookup(local.function_overrides, target, {}),
      { name = local.function_names[target] },
    )
  }

  # (target, secret) pairs for per-secret IAM.
  function_secret_pairs = merge([
    for target, fn in local.functions : { for key in fn.secrets : "${target}/${key}" => { target = target, secret = key } }
  ]...)
}
