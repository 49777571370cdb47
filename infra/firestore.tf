# The Firestore database, its security rules, composite indexes and TTL policies.

resource "google_firestore_database" "main" {
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"
  # The server client libraries' transactions (one per status change, contract section 3) use pessimistic locking,
  # which is also what the emulator does in the tests.
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  # `terraform destroy` leaves the citizens' records alone; deleting them is a deliberate act in the console.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.api]
}

# infra/firestore.rules denies every client SDK request: only the functions (server libraries, IAM) touch the data.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/firestore.rules")
    }
  }

  depends_on = [google_firestore_database.main]
}

resource "google_firebaserules_release" "firestore" {
  name         = "cloud.firestore"
  project      = var.project_id
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}

# Composite indexes: firestore.indexes.json (the Firebase CLI's format) is the list; tests/unit/test_firestore_indexes.py
# checks it against every query the adapters declare.
locals {
  firestore_indexes = {
    for index in jsondecode(file("${path.module}/firestore.indexes.json")).indexes :
    join("|", concat([index.collectionGroup, index.queryScope], [
      for field in index.fields : "${field.fieldPath}:${try(field.order, field.arrayConfig)}"
    ])) => index
  }
}

resource "google_firestore_index" "composite" {
  for_each    = local.firestore_indexes
  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = each.value.queryScope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

# Documents with an `expires_at` in the past are deleted by Firestore itself (within about a day), so idempotency
# keys, PIN-guessing budgets, per-number SMS day counters and SMS budgets never pile up.
resource "google_firestore_field" "ttl" {
  for_each   = toset(["idempotency_keys", "rate_limits", "sms_daily_counts", "sms_budgets"])
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.key
  field      = "expires_at"

  ttl_config {}

  # No single-field index on a TTL timestamp: nothing queries it, and a monotonically growing indexed field is a
  # write hotspot.
  index_config {}
}
