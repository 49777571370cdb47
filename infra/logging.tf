# Request logs that would identify a citizen who wrote to the city: a load balancer or Cloud Run request log entry
# holds the client's address, the time and the full URL (GET /v1/track/CODE?pin=... carries the PIN). Next to the
# time of an anonymous BALAP report, the address names its reporter. topology.json marks those routes with
# "request_logs": false (complaints, status, receipt).
#
# Neither log can be trimmed to leave the address or URL out: httpRequest.remoteIp and requestUrl are required fields
# of a load balancer log entry (log_config optional_mode / optional_fields only choose among the optional ones, such
# as TLS details), and a Cloud Logging exclusion drops whole entries, it does not rewrite them. So:
#   1. the backend services of those targets log nothing (gateway.tf), so no entry exists to route anywhere;
#   2. an exclusion on the project's _Default sink drops Cloud Run's own request log of those services (Cloud Run
#      writes one per request, whatever the load balancer does) and, should the backend logging be switched back on,
#      the load balancer entries of those paths.
# What remains: the functions' own JSON logs (codes, statuses, counts; never an address, a PIN or personal data), and
# the load balancer's request_count metrics, on which monitoring.tf alerts.
locals {
  unlogged_routes  = [for route in local.topology.routes : route if try(route.request_logs, true) == false]
  unlogged_targets = toset([for route in local.unlogged_routes : route.target])

  # RE2 over httpRequest.requestUrl: an exact path, or a prefix for paths ending in /*, with any query string.
  unlogged_url_pattern = format(
    "^https?://[^/]+(%s)([?].*)?$",
    join("|", [for route in local.unlogged_routes : endswith(route.path, "/*") ? "${trimsuffix(route.path, "*")}.*" : route.path]),
  )
  unlogged_services = join(" OR ", [for target in local.unlogged_targets : "\"${local.function_names[target]}\""])
}

resource "google_logging_project_exclusion" "citizen_request_logs" {
  name        = "bahagia-citizen-request-logs"
  description = "No client address or full URL of complaints (anonymous BALAP reports included), status or receipt requests (infra/logging.tf)."
  filter = join(" OR ", [
    "(resource.type=\"http_load_balancer\" AND httpRequest.requestUrl=~\"${local.unlogged_url_pattern}\")",
    "(resource.type=\"cloud_run_revision\" AND log_id(\"run.googleapis.com/requests\") AND resource.labels.service_name=(${local.unlogged_services}))",
  ])

  depends_on = [google_project_service.api]
}
