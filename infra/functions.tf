# Every function target of topology.json as a Cloud Run function (gen2), built from one zip of functions/.

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "api" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "firebaserules.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
  service = each.key
  # Turning an API off on destroy would break anything else in the project that uses it.
  disable_on_destroy = false
}

data "archive_file" "functions" {
  type        = "zip"
  source_dir  = "${path.module}/../functions"
  output_path = "${path.module}/.build/functions.zip"
  excludes    = ["**/__pycache__/**", "**/*.pyc", ".mypy_cache/**", ".ruff_cache/**"]
}

resource "google_storage_bucket" "source" {
  # checkov:skip=CKV_GCP_62: holds only build inputs (zips of this repository's functions/); Cloud Audit Logs record who read or wrote them, usage logs would add a third bucket for nothing.
  name                        = "${var.project_id}-bahagia-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 10
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "functions" {
  # The content hash in the name makes a changed source a new object, and so a new build of every function.
  name   = "functions-${data.archive_file.functions.output_sha256}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.functions.output_path
}

# Cloud Build runs the Python buildpack as this account, not as the default compute account (a broad identity that
# new projects no longer grant Editor). It needs exactly what Google lists for a custom build account: write logs,
# push the image to Artifact Registry, and read the source, which Cloud Functions first copies from our bucket into
# its own gcf-v2-sources-* bucket. No role that can act as another service account.
resource "google_service_account" "build" {
  account_id   = "bahagia-functions-build"
  display_name = "Builds the Layanan Bahagia functions"
}

resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])
  project  = var.project_id
  role     = each.key
  member   = google_service_account.build.member
}

resource "google_project_iam_member" "build_reads_source" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "function-sources-only"
    description = "Only the source buckets: ours and the one Cloud Functions stages builds in."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.source.name}\") || resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-${data.google_project.this.number}-${var.region}\")"
  }
}

# One runtime identity per function, so each gets only what its own code touches.
resource "google_service_account" "fn" {
  for_each     = local.functions
  account_id   = "fn-${each.value.name}"
  display_name = "Runtime of function ${each.key}"
}

resource "google_project_iam_member" "fn_firestore" {
  # Firestore access is granted per project: its IAM has no per-collection roles. list_programs gets none.
  for_each = { for target, fn in local.functions : target => fn if fn.firestore }
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = google_service_account.fn[each.key].member
}

resource "google_project_iam_member" "fn_logging" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/logging.logWriter"
  member   = google_service_account.fn[each.key].member
}

resource "google_pubsub_topic_iam_member" "fn_publishes" {
  for_each = { for target, fn in local.functions : target => fn if fn.publishes != null }
  topic    = google_pubsub_topic.topic[each.value.publishes].name
  role     = "roles/pubsub.publisher"
  member   = google_service_account.fn[each.key].member
}

resource "google_storage_bucket_iam_member" "fn_reports" {
  for_each = { for target, fn in local.functions : target => fn if fn.reports_bucket != null }
  bucket   = google_storage_bucket.reports.name
  role     = each.value.reports_bucket
  member   = google_service_account.fn[each.key].member
}

resource "google_secret_manager_secret_iam_member" "fn_reads" {
  for_each  = local.function_secret_pairs
  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.value.target].member
}

resource "google_cloudfunctions2_function" "fn" {
  for_each    = local.functions
  name        = each.value.name
  location    = var.region
  description = "Layanan Bahagia target ${each.key} (functions/main.py)"

  build_config {
    runtime         = "python311"
    entry_point     = each.key
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  # No event_trigger: event targets are plain HTTPS services fed by our own push subscriptions (pubsub.tf).
  # functions-framework takes the CloudEvent signature from the target's @cloud_event decorator.
  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = each.value.min_instances
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    # HTTP targets: only through the load balancer. Event and scheduled targets: only Pub/Sub push and Cloud
    # Scheduler, which count as internal traffic for a service in the same project.
    ingress_settings               = contains(local.http_targets, each.key) ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.fn[each.key].email

    environment_variables = merge(
      local.common_env,
      contains(local.http_targets, each.key) ? local.http_env : {},
      each.value.reports_bucket != null ? { BAHAGIA_REPORTS_BUCKET = google_storage_bucket.reports.name } : {},
      each.value.env,
      # Settings requires exactly the secrets of this target (functions/settings.py, TARGET_KEYS).
      { BAHAGIA_FUNCTION_TARGET = each.key },
    )

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = local.secrets[secret_environment_variables.value].env
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_project_iam_member.build,
    google_project_iam_member.build_reads_source,
    google_secret_manager_secret_iam_member.fn_reads,
  ]
}

# Citizens call the HTTP targets without credentials; ingress ALLOW_INTERNAL_AND_GCLB means they can only do so
# through the load balancer (with Cloud Armor in front), never at the *.run.app address.
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  for_each = local.http_targets
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Pub/Sub push (event targets) and Cloud Scheduler (internal targets) authenticate with OIDC tokens of these two
# accounts; each may invoke only the functions it feeds.
resource "google_service_account" "pubsub_push" {
  account_id   = "bahagia-pubsub-push"
  display_name = "Pub/Sub push subscriptions to the event functions"
}

resource "google_service_account" "scheduler" {
  account_id   = "bahagia-scheduler"
  display_name = "Cloud Scheduler calls to the internal functions"
}

resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = local.event_targets
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_push.member
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invoker" {
  for_each = local.internal_targets
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}
