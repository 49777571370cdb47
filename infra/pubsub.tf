# Topics and subscriptions of topology.json (contract section 4).
#
# Event targets get our own push subscriptions rather than Eventarc triggers. With Eventarc the subscription is
# created and owned by the trigger: its retry policy cannot be set and its dead-letter topic is configured apart
# from the trigger. Here the retry backoff, ack deadline, dead-letter topic after 5 attempts and retention are
# declared in topology.json and reach production exactly as the local Pub/Sub emulator gets them in `make run`, where
# there is no Eventarc. The push endpoint ends in /projects/P/topics/T so that functions-framework turns the raw push
# body into a messagePublished CloudEvent with the right source, as it does locally.

resource "google_pubsub_topic" "topic" {
  # checkov:skip=CKV_GCP_83: events carry no personal data (ids, types, statuses only: ARCHITECTURE.md); Google-managed encryption is enough and a CMEK key would add a KMS dependency the city must operate.
  for_each = local.topics
  name     = each.key

  # Lets a subscription be rewound (seek) over the last week after a bad deploy.
  message_retention_duration = "604800s"

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_project_service.api]
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = "" # never expires, however quiet the topic is
  }

  retry_policy {
    minimum_backoff = each.value.retry_minimum_backoff
    maximum_backoff = each.value.retry_maximum_backoff
  }

  dynamic "dead_letter_policy" {
    for_each = try(each.value.dead_letter_topic, null) == null ? [] : [each.value]
    content {
      dead_letter_topic     = google_pubsub_topic.topic[dead_letter_policy.value.dead_letter_topic].id
      max_delivery_attempts = dead_letter_policy.value.max_delivery_attempts
    }
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.fn[each.value.push_target].service_config[0].uri}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      # Cloud Run accepts a token whose audience is the service URL, without the path.
      audience = google_cloudfunctions2_function.fn[each.value.push_target].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.push_invoker]
}

resource "google_pubsub_subscription" "pull" {
  for_each = local.pull_subscriptions
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id

  # Dead-lettered events wait here a week for staff to inspect (and replay by republishing).
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent moves a message to the dead-letter topic: it must publish there, acknowledge on the
# source subscription, and mint the OIDC tokens of the push account.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"
}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  dead_letter_subscriptions = {
    for name, sub in local.push_subscriptions : name => sub if try(sub.dead_letter_topic, null) != null
  }
}

resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  for_each   = toset([for sub in values(local.dead_letter_subscriptions) : sub.dead_letter_topic])
  topic      = google_pubsub_topic.topic[each.key].name
  role       = "roles/pubsub.publisher"
  member     = local.pubsub_agent
  depends_on = [google_project_service_identity.pubsub]
}

resource "google_pubsub_subscription_iam_member" "agent_acks_dead_letters" {
  for_each     = local.dead_letter_subscriptions
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
  depends_on   = [google_project_service_identity.pubsub]
}

resource "google_service_account_iam_member" "agent_mints_push_tokens" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
  depends_on         = [google_project_service_identity.pubsub]
}
