# Test fixture: runs a query with psql on a branch (as the given role) and fails the apply unless the
# single-value answer equals `expect`.
terraform {
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

variable "endpoint_id" {
  type    = string
  default = null
}

variable "role_name" {
  type = string
}

variable "database_name" {
  type = string
}

variable "query" {
  type = string
}

variable "expect" {
  type = string
}

data "arbor_connection_uri" "this" {
  project_id    = var.project_id
  branch_id     = var.branch_id
  endpoint_id   = var.endpoint_id
  role_name     = var.role_name
  database_name = var.database_name
}

resource "terraform_data" "check" {
  triggers_replace = [var.query, var.expect, var.branch_id]
  provisioner "local-exec" {
    command = <<-SH
      got=$(psql "$URI" -v ON_ERROR_STOP=1 -tAc "$QUERY") || exit 1
      [ "$got" = "$EXPECT" ] || { echo "psql-check: '$QUERY' answered '$got', expected '$EXPECT'" >&2; exit 1; }
    SH
    environment = {
      URI    = data.arbor_connection_uri.this.uri
      QUERY  = var.query
      EXPECT = var.expect
    }
  }
}
