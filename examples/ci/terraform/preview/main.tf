# Root configuration for one pull request's preview database (run by ../../arbor-ci.sh, not by hand):
# the preview-branch module names the branch preview-pr-<n>; its state lives on the Arbor server itself
# (http backend, address given by arbor-ci.sh at init), so open, sync and close can run on different runners.
terraform {
  required_version = ">= 1.5"
  backend "http" {}
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

# api_url and api_key come from ARBOR_API_URL and ARBOR_API_KEY.
provider "arbor" {}

variable "project_id" {
  type = string
}

variable "pr_number" {
  type = number
}

variable "role_name" {
  type    = string
  default = "neondb_owner"
}

variable "database_name" {
  type    = string
  default = "neondb"
}

variable "ttl_hours" {
  type    = number
  default = 72
}

module "preview" {
  source        = "../../../terraform/modules/preview-branch"
  project_id    = var.project_id
  pr_number     = var.pr_number
  name_prefix   = "preview-pr-"
  role_name     = var.role_name
  database_name = var.database_name
  ttl_hours     = var.ttl_hours
}

output "branch_id" {
  value = module.preview.branch_id
}

output "database_url" {
  value     = module.preview.database_url
  sensitive = true
}
