# terraform test against a live Arbor server (ARBOR_API_URL / ARBOR_API_KEY).
run "setup" {
  module {
    source = "../testing/project"
  }
  variables {
    name = "dev-branch-test"
  }
}

run "two_developers" {
  variables {
    project_id    = run.setup.project_id
    database_name = run.setup.database_name
    developers    = ["alice", "bob"]
  }

  assert {
    condition     = length(arbor_branch.dev) == 2 && arbor_branch.dev["alice"].name == "dev-alice"
    error_message = "each developer gets a dev-<name> branch"
  }
  assert {
    condition     = arbor_branch.dev["bob"].parent_id == run.setup.default_branch_id
    error_message = "branches start from the project's default branch"
  }
  assert {
    condition     = arbor_role.dev["alice"].name == "alice" && arbor_endpoint.dev["alice"].branch_id == arbor_branch.dev["alice"].id
    error_message = "each developer gets a role and an endpoint on their branch"
  }
  assert {
    condition     = length(nonsensitive(data.arbor_connection_uri.dev["bob"].uri)) > 0
    error_message = "each developer gets a connection URI"
  }
}

run "remove_one_developer" {
  variables {
    project_id    = run.setup.project_id
    database_name = run.setup.database_name
    developers    = ["alice"]
  }

  assert {
    condition     = keys(arbor_branch.dev) == ["alice"]
    error_message = "removing a developer removes only their branch"
  }
}

run "invalid_name_is_rejected" {
  command = plan
  variables {
    project_id    = run.setup.project_id
    database_name = run.setup.database_name
    developers    = ["Not Valid"]
  }
  expect_failures = [var.developers]
}
