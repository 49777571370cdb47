# The reports bucket: nightly CSV and HTML files (no personal data, small counts suppressed), written by
# build_nightly_report and served to staff by staff_api. Nobody else has access.
resource "google_storage_bucket" "reports" {
  # checkov:skip=CKV_GCP_62: Cloud Audit Logs (data access) already name every reader; usage logs would need a third bucket and hold the same facts.
  name                        = "${var.project_id}-bahagia-reports"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Versioning keeps the previous file when a date is rebuilt, for 30 days. No bucket retention policy (lock): it
  # would forbid exactly that rebuild, which overwrites the object of its date.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = var.report_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
  }
}
