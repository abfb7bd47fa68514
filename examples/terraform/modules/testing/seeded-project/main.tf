# Test fixture for anon-template: a project whose default branch holds a customers table with known PII
# (seeded with psql through the connection URI the provider returns).
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

data "arbor_connection_uri" "main" {
  project_id    = arbor_project.this.id
  branch_id     = arbor_project.this.default_branch_id
  role_name     = arbor_project.this.default_role_name
  database_name = arbor_project.this.default_database_name
}

resource "terraform_data" "seed" {
  triggers_replace = [arbor_project.this.id]
  provisioner "local-exec" {
    command = <<-SH
      psql "$URI" -v ON_ERROR_STOP=1 -qc "
        create table customers (id int primary key, email text not null unique, full_name text, phone text);
        insert into customers
          select g, 'pii-' || g || '@example.com', 'Real Name ' || g, '+1555000' || lpad(g::text, 4, '0')
          from generate_series(1, 100) g;"
    SH
    environment = {
      URI = data.arbor_connection_uri.main.uri
    }
  }
}

output "project_id" {
  value      = arbor_project.this.id
  depends_on = [terraform_data.seed]
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
