# Root configuration for one CI run's throw-away database (run by ../../arbor-ci.sh): the ci-branch
# module names the branch ci-<build id> and makes it expire, so a crashed pipeline leaves nothing behind.
terraform {
  required_version = ">= 1.5"
  backend "http" {}
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

provider "arbor" {}

variable "project_id" {
  type = string
}

variable "build_id" {
  type = string
}

variable "schema_only" {
  type    = bool
  default = false
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
  default = 6
}

module "ci" {
  source        = "../../../terraform/modules/ci-branch"
  project_id    = var.project_id
  build_id      = var.build_id
  schema_only   = var.schema_only
  role_name     = var.role_name
  database_name = var.database_name
  ttl_hours     = var.ttl_hours
}

output "branch_id" {
  value = module.ci.branch_id
}

output "database_url" {
  value     = module.ci.database_url
  sensitive = true
}
