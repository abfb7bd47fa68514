# main-anon: an anonymized copy of a source branch (usually main) that keeps production's schema and row
# counts but only masked values, plus one branch, endpoint and login role per developer branched off it.
# Developers never get a branch with the source's PII: their branches derive from the masked template.
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
  description = "Project holding the source branch."
}

variable "source_branch_id" {
  type        = string
  default     = null
  description = "Branch whose rows are masked into the template; defaults to the project's default branch."
}

variable "template_name" {
  type        = string
  default     = "main-anon"
  description = "Name of the anonymized template branch."
}

variable "masking_rules" {
  type = list(object({
    database_name    = string
    schema_name      = optional(string, "public")
    table_name       = string
    column_name      = string
    masking_function = optional(string)
    masking_value    = optional(string)
  }))
  description = "One rule per masked column: a PostgreSQL Anonymizer call (masking_function) or an SQL literal (masking_value)."
  validation {
    condition     = length(var.masking_rules) > 0
    error_message = "Give at least one masking rule; without rules the template would hold the source's values."
  }
}

variable "developers" {
  type        = set(string)
  default     = []
  description = "Developer names; each gets <template_name>-<name> off the template, an endpoint and a role <name>."
  validation {
    condition     = alltrue([for d in var.developers : can(regex("^[a-z][a-z0-9_]{0,40}$", d))])
    error_message = "Developer names must be lower-case identifiers (a-z, 0-9, _)."
  }
}

variable "database_name" {
  type        = string
  description = "Database the developers' connection URIs point at."
}

variable "suspend_timeout_seconds" {
  type    = number
  default = 300
}

resource "arbor_branch" "template" {
  project_id = var.project_id
  parent_id  = var.source_branch_id
  name       = var.template_name
  anonymized = true
}

# Writing the rules runs the anonymization and waits for it; a change to the rules re-derives the template
# from the source's current head (never re-masking masked data).
resource "arbor_masking_rules" "template" {
  project_id = var.project_id
  branch_id  = arbor_branch.template.id
  rules      = var.masking_rules
}

# The developers' branches, endpoints, roles and URIs are the dev-branch module's, off the template. Taking the
# parent from the rules resource makes them wait until the template holds masked rows.
module "developers" {
  source                  = "../dev-branch"
  project_id              = var.project_id
  parent_branch_id        = arbor_masking_rules.template.branch_id
  name_prefix             = "${var.template_name}-"
  developers              = var.developers
  database_name           = var.database_name
  suspend_timeout_seconds = var.suspend_timeout_seconds
}

output "template_branch_id" {
  value = arbor_branch.template.id
}

output "anonymized_status" {
  value = arbor_masking_rules.template.anonymized_status
}

output "branch_ids" {
  value = module.developers.branch_ids
}

output "endpoint_ids" {
  value = module.developers.endpoint_ids
}

output "connection_uris" {
  value     = module.developers.connection_uris
  sensitive = true
}
