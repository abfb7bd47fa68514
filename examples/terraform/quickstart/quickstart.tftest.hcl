# terraform test against a live Arbor server (ARBOR_API_URL / ARBOR_API_KEY).
variables {
  project_name = "quickstart-test"
}

run "create" {
  command = apply

  assert {
    condition     = arbor_project.app.default_branch_id != arbor_branch.feature.id
    error_message = "the feature branch must be a new branch"
  }
  assert {
    condition     = arbor_branch.feature.parent_id == arbor_project.app.default_branch_id
    error_message = "the feature branch must branch from the default branch"
  }
  assert {
    condition     = arbor_endpoint.feature.type == "read_write" && arbor_endpoint.feature.host != ""
    error_message = "the endpoint must be read-write with a host"
  }
  assert {
    condition     = startswith(nonsensitive(data.arbor_connection_uri.feature.uri), "postgres")
    error_message = "the connection URI must be a postgres URI"
  }
  assert {
    condition     = arbor_database.scratch.owner_name == "dev"
    error_message = "the database must be owned by the dev role"
  }
}

run "rename_is_in_place" {
  command = apply

  variables {
    project_name = "quickstart-test-renamed"
  }

  assert {
    condition     = arbor_project.app.name == "quickstart-test-renamed"
    error_message = "the project must be renamed in place"
  }
}
