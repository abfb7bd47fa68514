# main-anon: a schema-only copy of main that the rules below fill with masked rows.
resource "arbor_branch" "main_anon" {
  project_id = arbor_project.app.id
  parent_id  = arbor_project.app.default_branch_id
  name       = "main-anon"
  anonymized = true
}

resource "arbor_masking_rules" "main_anon" {
  project_id = arbor_project.app.id
  branch_id  = arbor_branch.main_anon.id

  rules = [
    {
      database_name    = "app"
      schema_name      = "public"
      table_name       = "users"
      column_name      = "email"
      masking_function = "anon.dummy_free_email()"
    },
    {
      database_name    = "app"
      schema_name      = "public"
      table_name       = "users"
      column_name      = "phone"
      masking_function = "anon.partial(phone,2,$$******$$,2)"
    },
    {
      database_name = "app"
      schema_name   = "public"
      table_name    = "users"
      column_name   = "notes"
      masking_value = "'redacted'"
    },
  ]
}
