# terraform test against a live Arbor server (ARBOR_API_URL / ARBOR_API_KEY).
run "setup" {
  module {
    source = "../testing/project"
  }
  variables {
    name = "preview-branch-test"
  }
}

run "preview_for_pr" {
  variables {
    project_id    = run.setup.project_id
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    pr_number     = 42
    ttl_hours     = 24
  }

  assert {
    condition     = arbor_branch.preview.name == "pr-42"
    error_message = "the branch is named after the pull request"
  }
  assert {
    condition     = timecmp(arbor_branch.preview.expires_at, timeadd(plantimestamp(), "23h")) > 0 && timecmp(arbor_branch.preview.expires_at, timeadd(plantimestamp(), "25h")) < 0
    error_message = "the branch expires after ttl_hours"
  }
  assert {
    condition     = module.access.endpoint_branch_id == arbor_branch.preview.id
    error_message = "the endpoint serves the preview branch"
  }
}

run "rejects_bad_pr_number" {
  command = plan
  variables {
    project_id    = run.setup.project_id
    role_name     = run.setup.role_name
    database_name = run.setup.database_name
    pr_number     = -1
  }
  expect_failures = [var.pr_number]
}
