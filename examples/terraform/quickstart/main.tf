# Arbor quick start: a project, a feature branch with its own endpoint, role and database, and a
# connection string. Point the provider at your server with ARBOR_API_URL and ARBOR_API_KEY.
terraform {
  required_version = ">= 1.5"
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

provider "arbor" {}

variable "project_name" {
  type    = string
  default = "quickstart"
}

resource "arbor_project" "app" {
  name                      = var.project_name
  history_retention_seconds = 86400
  default_branch_name       = "main"
  default_role_name         = "app_owner"
  default_database_name     = "app"
}

resource "arbor_branch" "feature" {
  project_id = arbor_project.app.id
  parent_id  = arbor_project.app.default_branch_id
  name       = "feature"
}

resource "arbor_endpoint" "feature" {
  project_id              = arbor_project.app.id
  branch_id               = arbor_branch.feature.id
  suspend_timeout_seconds = 300
}

resource "arbor_role" "dev" {
  project_id = arbor_project.app.id
  branch_id  = arbor_branch.feature.id
  name       = "dev"
}

resource "arbor_database" "scratch" {
  project_id = arbor_project.app.id
  branch_id  = arbor_branch.feature.id
  name       = "scratch"
  owner_name = arbor_role.dev.name
}

data "arbor_connection_uri" "feature" {
  project_id    = arbor_project.app.id
  branch_id     = arbor_branch.feature.id
  endpoint_id   = arbor_endpoint.feature.id
  role_name     = arbor_role.dev.name
  database_name = arbor_database.scratch.name
}

output "project_id" {
  value = arbor_project.app.id
}

output "feature_branch_id" {
  value = arbor_branch.feature.id
}

output "database_url" {
  value     = data.arbor_connection_uri.feature.uri
  sensitive = true
}
