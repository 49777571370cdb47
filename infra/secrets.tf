# Secret Manager secrets. Terraform creates them empty: their values never enter the Terraform state or this
# repository. The operator adds a version of each one the deployment uses (README, "Deploy") before the functions
# are created, because a function refers to version "latest".
resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  secret_id = each.value.secret_id

  # Kept in Jakarta only: SMS credentials and the PIN pepper stay in Indonesia with the data they protect.
  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  depends_on = [google_project_service.api]
}
