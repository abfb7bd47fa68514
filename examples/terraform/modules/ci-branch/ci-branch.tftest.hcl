# terraform test against a live Arbor server (ARBOR_API_URL / ARBOR_API_KEY).
run "setup" {
  module {
    source = "../testing/project"
  }
  variables {
    name = "ci-branch-test"
  }
}

run "branch_per_build" {
  variables {
    project_id    = run.setup.project_id
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    build_id      = "1234-a"
  }

  assert {
    condition     = arbor_branch.ci.name == "ci-1234-a" && arbor_branch.ci.parent_id == run.setup.default_branch_id
    error_message = "the branch is named after the build and copies the default branch"
  }
  assert {
    condition     = arbor_branch.ci.expires_at != null
    error_message = "CI branches always expire"
  }
  assert {
    condition     = startswith(nonsensitive(output.database_url), "postgres")
    error_message = "the build gets a connection URI"
  }
}

run "rejects_bad_build_id" {
  command = plan
  variables {
    project_id    = run.setup.project_id
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    build_id      = "has spaces"
  }
  expect_failures = [var.build_id]
}
