# What a short-lived branch needs to be used: a read-write endpoint and a connection URI for one role and
# database (both copied from the parent). Shared by the ci-branch and preview-branch modules.
terraform {
  required_version = ">= 1.5"
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

variable "project_id" {
  type = string
}

variable "branch_id" {
  type = string
}

variable "suspend_timeout_seconds" {
  type        = number
  description = "Idle seconds before the endpoint suspends."
}

variable "role_name" {
  type = string
}

variable "database_name" {
  type = string
}

resource "arbor_endpoint" "this" {
  project_id              = var.project_id
  branch_id               = var.branch_id
  suspend_timeout_seconds = var.suspend_timeout_seconds
}

data "arbor_connection_uri" "this" {
  project_id    = var.project_id
  branch_id     = var.branch_id
  endpoint_id   = arbor_endpoint.this.id
  role_name     = var.role_name
  database_name = var.database_name
}

output "endpoint_id" {
  value = arbor_endpoint.this.id
}

output "endpoint_branch_id" {
  value = arbor_endpoint.this.branch_id
}

output "database_url" {
  value     = data.arbor_connection_uri.this.uri
  sensitive = true
}
