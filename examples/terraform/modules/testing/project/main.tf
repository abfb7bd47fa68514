# Test fixture for the example modules' terraform tests: one project to branch from.
terraform {
  required_providers {
    arbor = {
      source = "arbordb/arbor"
    }
  }
}

variable "name" {
  type = string
}

resource "arbor_project" "this" {
  name                  = var.name
  default_role_name     = "app_owner"
  default_database_name = "app"
}

output "project_id" {
  value = arbor_project.this.id
}

output "default_branch_id" {
  value = arbor_project.this.default_branch_id
}

output "database_name" {
  value = arbor_project.this.default_database_name
}

output "role_name" {
  value = arbor_project.this.default_role_name
}
