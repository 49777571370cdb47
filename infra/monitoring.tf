# Alerts an operator acts on, sent to var.alert_email and/or var.alert_notification_channels:
#   - events waiting in a dead-letter hold: an SMS that was not sent after 5 deliveries (README "Dead letters": list
#     them, fix the cause, redrive them);
#   - 5xx answers at the load balancer: a function or a backing service (Firestore, Pub/Sub) failing for citizens.
# Both read Cloud Monitoring metrics, not logs, so the request logs left out by logging.tf change nothing here.
locals {
  # Above this many 5xx answers in 5 minutes the city hears of it; a single 503 during a Firestore blip does not page.
  alert_5xx_per_5_minutes = 10

  alert_channels = concat(
    [for channel in google_monitoring_notification_channel.email : channel.id],
    var.alert_notification_channels,
  )
  # Pull subscriptions on a dead-letter topic: where events wait after their last failed delivery.
  dead_letter_topics = toset([for sub in values(local.dead_letter_subscriptions) : sub.dead_letter_topic])
  dead_letter_holds  = { for name, sub in local.pull_subscriptions : name => sub if contains(local.dead_letter_topics, sub.topic) }
}

resource "google_monitoring_notification_channel" "email" {
  for_each     = var.alert_email == "" ? toset([]) : toset([var.alert_email])
  display_name = "Layanan Bahagia operators"
  type         = "email"
  labels = {
    email_address = each.key
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "dead_letters" {
  for_each              = local.dead_letter_holds
  display_name          = "Bahagia: events waiting in ${each.key}"
  combiner              = "OR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "${each.key} holds undelivered messages"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.pull[each.key].name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events of ${each.value.topic} failed every delivery and wait in ${each.key} (7 days). List them with `make redrive ARGS=\"--project PROJECT_ID --dry-run\"`, fix the cause (send_sms_notification logs), then redrive them (README, \"Dead letters\")."
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "gateway_5xx" {
  display_name          = "Bahagia: 5xx answers at the load balancer"
  combiner              = "OR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "More than ${local.alert_5xx_per_5_minutes} 5xx answers in 5 minutes"
    condition_threshold {
      filter          = "resource.type = \"https_lb_rule\" AND resource.labels.url_map_name = \"${google_compute_url_map.gateway.name}\" AND metric.type = \"loadbalancing.googleapis.com/https/request_count\" AND metric.labels.response_code_class = 500"
      comparison      = "COMPARISON_GT"
      threshold_value = local.alert_5xx_per_5_minutes
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Citizens or staff get 5xx answers. The functions' logs (severity ERROR, Error Reporting) name the target; a 503 means Firestore or Pub/Sub did not answer in time."
  }

  depends_on = [google_project_service.api]
}
