output "gateway_ip" {
  description = "IPv4 address of the load balancer. Create a DNS A record for var.domain pointing here; the managed certificate becomes ACTIVE (15-60 minutes) only after that."
  value       = google_compute_global_address.gateway.address
}

output "public_base_url" {
  description = "Where citizens open the forms and the API (/v1/...), once DNS and the certificate are in place."
  value       = local.public_base_url
}

output "function_urls" {
  description = "Cloud Run URL of every function target. Only reachable from inside Google Cloud (ingress settings): for checks with an identity token, not for citizens."
  value       = { for target, fn in google_cloudfunctions2_function.fn : target => fn.service_config[0].uri }
}

output "function_service_accounts" {
  description = "Runtime service account of every function target (one each, least privilege)."
  value       = { for target, account in google_service_account.fn : target => account.email }
}

output "secrets_to_fill" {
  description = "Secret Manager secret ids and the variable each becomes. Add a version to bahagia-pin-pepper, bahagia-cookie-key, bahagia-id-key and to the secrets of the chosen sms_provider (README, Deploy)."
  value       = { for key, secret in google_secret_manager_secret.secret : secret.secret_id => local.secrets[key].env }
}

output "reports_bucket" {
  description = "Bucket of the nightly report files (CSV, HTML)."
  value       = google_storage_bucket.reports.name
}

output "web_bucket" {
  description = "Bucket the static forms are served from (uploaded from web/ by terraform apply)."
  value       = google_storage_bucket.web.name
}

output "dead_letter_subscription" {
  description = "Pull subscriptions holding dead-lettered events for inspection (gcloud pubsub subscriptions pull ...)."
  value       = [for sub in google_pubsub_subscription.pull : sub.name]
}

output "ssl_certificate_status" {
  description = "Name of the managed certificate; `gcloud compute ssl-certificates describe <name> --global` shows when it is ACTIVE."
  value       = google_compute_managed_ssl_certificate.gateway.name
}
