# Cloud Scheduler: the nightly report request and the outbox relay.

resource "google_cloud_scheduler_job" "report_requests" {
  name        = "report-requests-nightly"
  description = "Asks build_nightly_report for yesterday's report (contract section 4: 00:30 WIB)."
  region      = var.region
  schedule    = "30 0 * * *"
  time_zone   = "Asia/Jakarta"

  pubsub_target {
    topic_name = google_pubsub_topic.topic["report-requests"].id
    # No date: the function takes yesterday in WIB. A backfill publishes {"date": "YYYY-MM-DD"} itself.
    data = base64encode("{}")
  }

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
  }

  depends_on = [google_project_service.api]
}

# Each internal HTTP target of topology.json (relay_outbox) is called on its own schedule with an OIDC token of the
# scheduler account, the only identity that may invoke it.
resource "google_cloud_scheduler_job" "internal" {
  for_each         = local.internal_targets
  name             = "call-${local.function_names[each.key]}"
  description      = "Calls ${each.key} (topology.json internal_http_targets)."
  region           = var.region
  schedule         = each.value.schedule
  time_zone        = "Asia/Jakarta"
  attempt_deadline = "${local.functions[each.key].timeout_seconds}s"

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn[each.key].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.fn[each.key].service_config[0].uri
    }
  }

  # A missed minute is caught up by the next run: no retries that would overlap it.
  retry_config {
    retry_count = 0
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler_invoker]
}
