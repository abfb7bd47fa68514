# A preview database per pull request: branch pr-<number> (see name_prefix) with a read-write endpoint that Arbor
# deletes after ttl_hours even if CI never runs `terraform destroy`.
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

variable "pr_number" {
  type = number
  validation {
    condition     = var.pr_number > 0 && floor(var.pr_number) == var.pr_number
    error_message = "pr_number must be a positive whole number."
  }
}

variable "name_prefix" {
  type        = string
  default     = "pr-"
  description = "The branch is named <name_prefix><pr_number>, e.g. preview-pr-42 with \"preview-pr-\"."
}

variable "parent_branch_id" {
  type        = string
  default     = null
  description = "Branch to copy; defaults to the project's default branch."
}

variable "ttl_hours" {
  type        = number
  default     = 72
  description = "Hours until Arbor deletes the preview branch."
}

variable "role_name" {
  type        = string
  description = "Role (copied from the parent) the preview app connects as."
}

variable "database_name" {
  type = string
}

resource "arbor_branch" "preview" {
  project_id = var.project_id
  parent_id  = var.parent_branch_id
  name       = "${var.name_prefix}${var.pr_number}"
  # The expiry is fixed when the branch is created; re-creating the branch (-replace) extends it.
  expires_at = timeadd(timestamp(), "${var.ttl_hours}h")

  lifecycle {
    ignore_changes = [expires_at]
  }
}

module "access" {
  source                  = "../branch-access"
  project_id              = var.project_id
  branch_id               = arbor_branch.preview.id
  suspend_timeout_seconds = 300
  role_name               = var.role_name
  database_name           = var.database_name
}

# states written before the endpoint moved into branch-access keep their endpoint
moved {
  from = arbor_endpoint.preview
  to   = module.access.arbor_endpoint.this
}

output "branch_id" {
  value = arbor_branch.preview.id
}

output "expires_at" {
  value = arbor_branch.preview.expires_at
}

output "database_url" {
  value     = module.access.database_url
  sensitive = true
}
