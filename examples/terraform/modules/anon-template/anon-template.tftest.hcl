# terraform test against a live Arbor server (ARBOR_API_URL / ARBOR_API_KEY): a seeded main, main-anon made
# from it, two developers branched off main-anon, and psql checks that their data is masked.
run "setup" {
  module {
    source = "../testing/seeded-project"
  }
  variables {
    name = "anon-template-test"
  }
}

run "template_and_developers" {
  variables {
    project_id    = run.setup.project_id
    database_name = run.setup.database_name
    developers    = ["alice", "bob"]
    masking_rules = [
      { database_name = run.setup.database_name, table_name = "customers", column_name = "email", masking_function = "anon.fake_email()" },
      { database_name = run.setup.database_name, table_name = "customers", column_name = "full_name", masking_function = "anon.fake_first_name()" },
      { database_name = run.setup.database_name, table_name = "customers", column_name = "phone", masking_function = "anon.partial(phone,2,$$******$$,2)" },
    ]
  }

  assert {
    condition     = arbor_masking_rules.template.anonymized_status == "anonymized"
    error_message = "the template is anonymized before developers branch off it"
  }
  assert {
    condition     = arbor_branch.template.anonymized && arbor_branch.template.name == "main-anon"
    error_message = "the template is an anonymized branch named main-anon"
  }
  assert {
    condition     = alltrue([for p in values(module.developers.parent_ids) : p == arbor_branch.template.id])
    error_message = "developer branches derive from the template, never from main"
  }
  assert {
    condition     = module.developers.branch_names["alice"] == "main-anon-alice" && length(nonsensitive(output.connection_uris["bob"])) > 0
    error_message = "each developer gets a branch and a connection URI"
  }
}

run "developer_branch_holds_masked_rows_only" {
  module {
    source = "../testing/psql-check"
  }
  variables {
    project_id    = run.setup.project_id
    branch_id     = run.template_and_developers.branch_ids["alice"]
    endpoint_id   = run.template_and_developers.endpoint_ids["alice"]
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    query         = "select count(*) || '/' || count(*) filter (where email like 'pii-%' or full_name like 'Real Name%' or phone like '+1555000%') from customers"
    expect        = "100/0"
  }
}

run "source_keeps_its_values" {
  module {
    source = "../testing/psql-check"
  }
  variables {
    project_id    = run.setup.project_id
    branch_id     = run.setup.default_branch_id
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    query         = "select email from customers where id = 7"
    expect        = "pii-7@example.com"
  }
}

run "no_rules_is_rejected" {
  command = plan
  variables {
    project_id    = run.setup.project_id
    database_name = run.setup.database_name
    masking_rules = []
  }
  expect_failures = [var.masking_rules]
}
