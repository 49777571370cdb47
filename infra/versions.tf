# Provider and Terraform versions are pinned exactly: a plan made today and one made next year use the same
# provider code. `terraform init` records the checksums in .terraform.lock.hcl; commit that file after the first init.
terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.36.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.36.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.0"
    }
  }

  # State: pass a GCS backend at init time (README, "Deploy"), so no bucket name or credential lives in the code:
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=bahagia"
  backend "gcs" {}
}

provider "google" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
  default_labels        = local.labels
}

provider "google-beta" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
  default_labels        = local.labels
}
