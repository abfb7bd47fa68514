# A throw-away database per CI build: branch ci-<build_id>, optionally schema-only, expiring after a
# few hours so a crashed pipeline leaves nothing behind.
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

variable "build_id" {
  type = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,60}$", var.build_id))
    error_message = "build_id may contain letters, digits, '.', '_' and '-' (at most 60)."
  }
}

variable "parent_branch_id" {
  type    = string
  default = null
}

variable "schema_only" {
  type        = bool
  default     = false
  description = "Copy only the schema (no data) from the parent."
}

variable "ttl_hours" {
  type    = number
  default = 6
}

variable "role_name" {
  type = string
}

variable "database_name" {
  type = string
}

resource "arbor_branch" "ci" {
  project_id  = var.project_id
  parent_id   = var.parent_branch_id
  name        = "ci-${var.build_id}"
  schema_only = var.schema_only
  expires_at  = timeadd(timestamp(), "${var.ttl_hours}h")

  lifecycle {
    ignore_changes = [expires_at]
  }
}

module "access" {
  source                  = "../branch-access"
  project_id              = var.project_id
  branch_id               = arbor_branch.ci.id
  suspend_timeout_seconds = 60
  role_name               = var.role_name
  database_name           = var.database_name
}

# states written before the endpoint moved into branch-access keep their endpoint
moved {
  from = arbor_endpoint.ci
  to   = module.access.arbor_endpoint.this
}

output "branch_id" {
  value = arbor_branch.ci.id
}

output "database_url" {
  value     = module.access.database_url
  sensitive = true
}
