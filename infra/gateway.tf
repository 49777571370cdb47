# The public gateway: a global external Application Load Balancer. Its URL map is generated from the routes of
# topology.json, the table devstack/gateway.py routes by locally, so both send a path to the same target:
#   - each route path (exact, or a prefix ending in /*) goes to its target's serverless NEG;
#   - any other /v1 path goes to default_target (a JSON 404), never to the forms;
#   - everything else is the static forms (topology "static": web/ in a backend bucket).
# A URL map picks the longest matching path while the local gateway takes the first match in file order;
# tests/unit/test_infra.py checks that the two agree for every route.

resource "google_compute_region_network_endpoint_group" "fn" {
  for_each              = local.http_targets
  name                  = "neg-${local.function_names[each.key]}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  # A gen2 function is a Cloud Run service: the NEG points at the service (cloud_function is for 1st gen).
  cloud_run {
    service = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  }
}

resource "google_compute_backend_service" "fn" {
  for_each              = local.http_targets
  name                  = "api-${local.function_names[each.key]}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.edge.id

  backend {
    group = google_compute_region_network_endpoint_group.fn[each.key].id
  }

  # Every request is logged, except on the targets of routes marked "request_logs": false in topology.json
  # (complaints, status, receipt): their entries would hold the client address and full URL (logging.tf).
  # EXCLUDE_ALL_OPTIONAL: none of the optional fields; the required ones are all an operator needs.
  log_config {
    enable        = !contains(local.unlogged_targets, each.key)
    sample_rate   = contains(local.unlogged_targets, each.key) ? null : 1.0
    optional_mode = contains(local.unlogged_targets, each.key) ? null : "EXCLUDE_ALL_OPTIONAL"
  }
}

resource "google_storage_bucket" "web" {
  # checkov:skip=CKV_GCP_114: public access prevention would block exactly the public read the forms need; the bucket holds only files from web/ in this repository.
  # checkov:skip=CKV_GCP_62: every request is logged by the load balancer (backend bucket behind the URL map); bucket usage logs would duplicate them.
  name                        = "${var.project_id}-bahagia-web"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "web_public" {
  # checkov:skip=CKV_GCP_28: see google_storage_bucket.web: public static forms, nothing else in this bucket.
  bucket = google_storage_bucket.web.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

locals {
  web_dir = "${path.module}/../${local.topology.static.directory}"
  content_types = {
    html        = "text/html; charset=utf-8", css = "text/css; charset=utf-8", js = "text/javascript; charset=utf-8",
    mjs         = "text/javascript; charset=utf-8", # the staff console's modules: browsers refuse any other type
    json        = "application/json", svg = "image/svg+xml", png = "image/png", ico = "image/x-icon",
    webmanifest = "application/manifest+json", txt = "text/plain; charset=utf-8", woff2 = "font/woff2",
  }
}

resource "google_storage_bucket_object" "web" {
  for_each     = fileset(local.web_dir, "**")
  name         = each.key
  bucket       = google_storage_bucket.web.name
  source       = "${local.web_dir}/${each.key}"
  content_type = lookup(local.content_types, lower(element(reverse(split(".", each.key)), 0)), "application/octet-stream")
  # Pages must show a new deploy at once; other assets may be cached for an hour.
  cache_control = endswith(each.key, ".html") ? "no-cache" : "public, max-age=3600"
}

# Clean URLs: every page but index.html also under its name without ".html" (/status -> status.html), because
# the SMS texts carry the short form and a backend bucket has no rewrite rules. The local gateway does the same.
resource "google_storage_bucket_object" "web_clean_url" {
  for_each     = { for f in fileset(local.web_dir, "**/*.html") : trimsuffix(f, ".html") => f if basename(f) != "index.html" }
  name         = each.key
  bucket       = google_storage_bucket.web.name
  source       = "${local.web_dir}/${each.value}"
  content_type = "text/html; charset=utf-8"
}

# The staff console's sign-in (web/petugas/masuk.html) reads which sign-in to offer from here: Google, with the OAuth
# client id every staff ID token must be issued for (staff_api checks the same audience). Not a file in web/: locally
# the devstack gateway answers this path with the local sign-in instead (devstack/local_console.py).
resource "google_storage_bucket_object" "console_config" {
  name          = "petugas/config.json"
  bucket        = google_storage_bucket.web.name
  content       = jsonencode({ auth = "google", google_client_id = var.staff_audience, hosted_domain = var.staff_hosted_domain })
  content_type  = "application/json"
  cache_control = "no-cache"
}

resource "google_compute_backend_bucket" "web" {
  name        = "bahagia-web"
  bucket_name = google_storage_bucket.web.name
  enable_cdn  = true

  # CSP (frame-ancestors included), HSTS and friends on every static response: topology.json lists them once, and
  # the local gateway sends the same ones.
  custom_response_headers = [for name, value in local.topology.static.response_headers : "${name}: ${value}"]

  cdn_policy {
    cache_mode        = "USE_ORIGIN_HEADERS"
    negative_caching  = false
    serve_while_stale = 0
  }
}

resource "google_compute_url_map" "gateway" {
  name            = "bahagia-gateway"
  default_service = google_compute_backend_bucket.web.id

  host_rule {
    hosts        = [var.domain]
    path_matcher = "topology"
  }

  path_matcher {
    name            = "topology"
    default_service = google_compute_backend_bucket.web.id

    dynamic "path_rule" {
      for_each = local.route_paths
      content {
        paths   = path_rule.value
        service = google_compute_backend_service.fn[path_rule.key].id
      }
    }

    # After the routes (longest match wins, so every route path beats these): the rest of /v1 -> default_target.
    path_rule {
      paths   = ["/v1", "/v1/*"]
      service = google_compute_backend_service.fn[local.topology.default_target].id
    }
  }
}

resource "google_compute_managed_ssl_certificate" "gateway" {
  name = "bahagia-gateway"

  managed {
    domains = [var.domain]
  }
}

resource "google_compute_ssl_policy" "gateway" {
  name            = "bahagia-tls12-modern"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "gateway" {
  name             = "bahagia-gateway"
  url_map          = google_compute_url_map.gateway.id
  ssl_certificates = [google_compute_managed_ssl_certificate.gateway.id]
  ssl_policy       = google_compute_ssl_policy.gateway.id
}

resource "google_compute_global_address" "gateway" {
  name = "bahagia-gateway"
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "bahagia-gateway-https"
  target                = google_compute_target_https_proxy.gateway.id
  ip_address            = google_compute_global_address.gateway.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Plain HTTP only redirects to HTTPS: a citizen typing the bare domain still arrives, and nothing is served in clear.
resource "google_compute_url_map" "redirect" {
  name = "bahagia-gateway-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "bahagia-gateway-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "bahagia-gateway-http"
  target                = google_compute_target_http_proxy.redirect.id
  ip_address            = google_compute_global_address.gateway.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Cloud Armor in front of the API: a per-IP rate limit (429, as the API itself answers) and the Log4Shell rule.
resource "google_compute_security_policy" "edge" {
  name        = "bahagia-edge"
  description = "Rate limit per client IP and known-exploit filters in front of the public API."

  rule {
    action   = "deny(403)"
    priority = 1000
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
    description = "Log4j2 CVE-2021-44228 / CVE-2021-45046 probes"
  }

  rule {
    action   = "throttle"
    priority = 2000
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.edge_rate_limit_per_minute
        interval_sec = 60
      }
    }
    description = "Per-IP request ceiling"
  }

  rule {
    action   = "allow"
    priority = 2147483647
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    description = "Default: allow"
  }
}
