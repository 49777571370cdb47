# Everything a city IT team sets for its own deployment. Only project_id and domain have no default.

variable "project_id" {
  description = "Google Cloud project that hosts the whole deployment (functions, Firestore, Pub/Sub, buckets)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id)) && !startswith(var.project_id, "demo-")
    error_message = "project_id must be a real Google Cloud project id (6-30 lowercase letters, digits, hyphens); `demo-` ids are for the emulators only."
  }
}

variable "region" {
  description = "Region of the functions, the serverless NEGs, Cloud Scheduler and the buckets. Jakarta keeps citizens' data in Indonesia (UU PDP) and latency low."
  type        = string
  default     = "asia-southeast2"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region name such as asia-southeast2."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database. It cannot be changed after creation."
  type        = string
  default     = "asia-southeast2"
}

variable "domain" {
  description = "Public host name of the forms and the API (for example layanan.jambikota.go.id). The managed TLS certificate is issued for it once its DNS A record points at the gateway_ip output."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a lowercase fully qualified host name without scheme or path, e.g. layanan.jambikota.go.id."
  }
}

variable "sms_provider" {
  description = "Which SMS adapter send_sms_notification uses: `sns` (AWS SNS, credentials in the sms-aws-* secrets) or `http` (an Indonesian HTTP SMS gateway, token in the sms-http-gateway-token secret)."
  type        = string
  default     = "sns"

  validation {
    condition     = contains(["sns", "http"], var.sms_provider)
    error_message = "sms_provider must be `sns` or `http`."
  }
}

variable "sms_aws_region" {
  description = "AWS region of SNS for SMS (Jakarta)."
  type        = string
  default     = "ap-southeast-3"
}

variable "sms_sender_id" {
  description = "SNS sender ID shown on the citizen's phone, where the operator supports one (1-11 letters or digits)."
  type        = string
  default     = "JAMBIKOTA"

  validation {
    condition     = can(regex("^[A-Za-z0-9]{1,11}$", var.sms_sender_id))
    error_message = "sms_sender_id must be 1-11 letters or digits."
  }
}

variable "sms_http_url" {
  description = "Endpoint of the HTTP SMS gateway when sms_provider = \"http\"; empty otherwise."
  type        = string
  default     = ""

  validation {
    condition     = var.sms_http_url == "" || startswith(var.sms_http_url, "https://")
    error_message = "sms_http_url must be empty or an https:// URL: the gateway token must never cross the network in clear."
  }
}

variable "report_retention_days" {
  description = "Days a nightly report file (CSV, HTML) stays in the reports bucket before lifecycle deletes it. The report document in Firestore is kept regardless."
  type        = number
  default     = 1095

  validation {
    condition     = var.report_retention_days >= 90
    error_message = "report_retention_days must be at least 90: the staff compare months and quarters."
  }
}

variable "warm_instances" {
  description = "Instances kept running for each latency-sensitive target (submit_application, submit_complaint, send_sms_notification), so that a citizen's form post or SMS after a quiet hour does not wait for a cold start (imports, clients: seconds). 0 saves the idle cost and accepts that wait."
  type        = number
  default     = 1

  validation {
    condition     = var.warm_instances >= 0 && var.warm_instances <= 5
    error_message = "warm_instances must be between 0 and 5 (max_instances of these targets is 5 or more)."
  }
}

variable "edge_rate_limit_per_minute" {
  description = "Requests per minute one client IP may send through the gateway before Cloud Armor answers 429 (a first line against scripted floods; per-code PIN limits live in the functions)."
  type        = number
  default     = 300

  validation {
    condition     = var.edge_rate_limit_per_minute >= 30
    error_message = "edge_rate_limit_per_minute below 30 would block a family sharing one mobile NAT address."
  }
}

variable "labels" {
  description = "Extra labels put on every resource that takes labels (cost reports per programme office, for example)."
  type        = map(string)
  default     = {}
}

variable "sms_http_sender" {
  description = "Sender name or number the HTTP SMS gateway puts on messages, when sms_provider = \"http\" and the gateway takes one."
  type        = string
  default     = ""
}

variable "sms_sns_inbound_topics" {
  description = "Comma-separated ARNs of the SNS topics AWS End User Messaging SMS publishes two-way (inbound) texts to; subscribe https://<domain>/v1/sms/inbound to each. Empty: no SNS inbound."
  type        = string
  default     = ""

  validation {
    condition     = alltrue([for arn in compact(split(",", replace(var.sms_sns_inbound_topics, " ", ""))) : can(regex("^arn:aws:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", arn))])
    error_message = "sms_sns_inbound_topics must be empty or a comma-separated list of SNS topic ARNs."
  }
}

variable "sms_sns_events_topics" {
  description = "Comma-separated ARNs of the SNS topics of the SMS delivery events (an End User Messaging event destination); subscribe https://<domain>/v1/sms/receipts to each. Empty: no SNS delivery receipts."
  type        = string
  default     = ""

  validation {
    condition     = alltrue([for arn in compact(split(",", replace(var.sms_sns_events_topics, " ", ""))) : can(regex("^arn:aws:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", arn))])
    error_message = "sms_sns_events_topics must be empty or a comma-separated list of SNS topic ARNs."
  }
}

variable "staff_audience" {
  description = "The `aud` every staff ID token must carry: the OAuth client id (or IAP audience) of the staff tool. staff_api rejects tokens for any other audience."
  type        = string

  validation {
    condition     = length(trimspace(var.staff_audience)) > 0
    error_message = "staff_audience must name the OAuth client id of the staff tool."
  }
}

variable "staff_hosted_domain" {
  description = "Optional: the Google Workspace domain of the city's accounts (e.g. jambikota.go.id). The console's sign-in then offers only accounts of that domain (a hint to Google; staff_api still decides by the staff directory)."
  type        = string
  default     = ""
}

variable "alert_email" {
  description = "E-mail address that receives the alerts of monitoring.tf (dead-lettered events waiting, 5xx at the load balancer); empty creates no e-mail channel."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", var.alert_email))
    error_message = "alert_email must be empty or one e-mail address."
  }
}

variable "alert_notification_channels" {
  description = "Existing Cloud Monitoring notification channels (projects/PROJECT/notificationChannels/ID: SMS, chat, PagerDuty...) that receive the alerts too."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for channel in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", channel))])
    error_message = "Each entry of alert_notification_channels must be a channel name like projects/my-project/notificationChannels/123."
  }
}
