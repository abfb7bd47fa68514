# One branch, endpoint and login role per developer, branched from a shared parent (usually the
# project's default branch). Adding or removing a name touches only that developer's objects.
terraform {
  required_version = ">= 1.5"
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

variable "project_id" {
  type        = string
  description = "Project to branch in."
}

variable "parent_branch_id" {
  type        = string
  default     = null
  description = "Branch to copy; defaults to the project's default branch."
}

variable "name_prefix" {
  type        = string
  default     = "dev-"
  description = "Prefix of each developer's branch name (<name_prefix><name>)."
}

variable "developers" {
  type        = set(string)
  description = "Developer names; each gets <name_prefix><name> with a role <name>."
  validation {
    condition     = alltrue([for d in var.developers : can(regex("^[a-z][a-z0-9_]{0,40}$", d))])
    error_message = "Developer names must be lower-case identifiers (a-z, 0-9, _)."
  }
}

variable "database_name" {
  type        = string
  description = "Database (copied from the parent) the connection URIs point at."
}

variable "suspend_timeout_seconds" {
  type    = number
  default = 300
}

resource "arbor_branch" "dev" {
  for_each   = var.developers
  project_id = var.project_id
  parent_id  = var.parent_branch_id
  name       = "${var.name_prefix}${each.key}"
}

resource "arbor_endpoint" "dev" {
  for_each                = var.developers
  project_id              = var.project_id
  branch_id               = arbor_branch.dev[each.key].id
  suspend_timeout_seconds = var.suspend_timeout_seconds
}

resource "arbor_role" "dev" {
  for_each   = var.developers
  project_id = var.project_id
  branch_id  = arbor_branch.dev[each.key].id
  name       = each.key
}

data "arbor_connection_uri" "dev" {
  for_each      = var.developers
  project_id    = var.project_id
  branch_id     = arbor_branch.dev[each.key].id
  endpoint_id   = arbor_endpoint.dev[each.key].id
  role_name     = arbor_role.dev[each.key].name
  database_name = var.database_name
}

output "branch_ids" {
  value = { for k, b in arbor_branch.dev : k => b.id }
}

output "parent_ids" {
  value = { for k, b in arbor_branch.dev : k => b.parent_id }
}

output "branch_names" {
  value = { for k, b in arbor_branch.dev : k => b.name }
}

output "endpoint_ids" {
  value = { for k, e in arbor_endpoint.dev : k => e.id }
}

output "endpoint_hosts" {
  value = { for k, e in arbor_endpoint.dev : k => e.host }
}

output "connection_uris" {
  value     = { for k, c in data.arbor_connection_uri.dev : k => c.uri }
  sensitive = true
}
