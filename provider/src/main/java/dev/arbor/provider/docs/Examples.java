package dev.arbor.provider.docs;

import java.util.Map;

/** HCL snippets for the generated docs; each is also valid configuration for this provider. */
final class Examples {
    private Examples() {}

    static final String PROVIDER = """
            terraform {
              required_providers {
                arbor = {
                  source = "arbordb/arbor"
                }
              }
            }

            # Or set ARBOR_API_URL and ARBOR_API_KEY in the environment.
            provider "arbor" {
              api_url = "http://localhost:8080/api/v2"
              api_key = var.arbor_api_key
            }
            """;

    private static final Map<String, String> BY_TYPE = Map.of(
            "arbor_project", """
                    resource "arbor_project" "app" {
                      name                      = "app"
                      history_retention_seconds = 86400
                      default_branch_name       = "main"
                      default_role_name         = "app_owner"
                      default_database_name     = "app"
                      pg_settings = {
                        work_mem = "16MB"
                      }
                    }
                    """,
            "arbor_branch", """
                    resource "arbor_branch" "feature" {
                      project_id = arbor_project.app.id
                      parent_id  = arbor_project.app.default_branch_id
                      name       = "feature-login"
                      expires_at = "2030-01-31T12:00:00Z"
                    }
                    """,
            "arbor_endpoint", """
                    resource "arbor_endpoint" "feature" {
                      project_id              = arbor_project.app.id
                      branch_id               = arbor_branch.feature.id
                      type                    = "read_write"
                      suspend_timeout_seconds = 300
                    }
                    """,
            "arbor_role", """
                    resource "arbor_role" "dev" {
                      project_id = arbor_project.app.id
                      branch_id  = arbor_branch.feature.id
                      name       = "dev"
                    }
                    """,
            "arbor_database", """
                    resource "arbor_database" "reports" {
                      project_id = arbor_project.app.id
                      branch_id  = arbor_branch.feature.id
                      name       = "reports"
                      owner_name = arbor_role.dev.name
                    }
                    """,
            "data.arbor_project", """
                    data "arbor_project" "app" {
                      id = var.project_id
                    }
                    """,
            "data.arbor_branch", """
                    data "arbor_branch" "main" {
                      project_id = var.project_id
                      name       = "main"
                    }
                    """,
            "data.arbor_branches", """
                    data "arbor_branches" "all" {
                      project_id = var.project_id
                    }

                    output "branch_names" {
                      value = data.arbor_branches.all.branches[*].name
                    }
                    """,
            "data.arbor_connection_uri", """
                    data "arbor_connection_uri" "dev" {
                      project_id    = arbor_project.app.id
                      branch_id     = arbor_branch.feature.id
                      endpoint_id   = arbor_endpoint.feature.id
                      role_name     = arbor_role.dev.name
                      database_name = arbor_project.app.default_database_name
                    }

                    output "database_url" {
                      value     = data.arbor_connection_uri.dev.uri
                      sensitive = true
                    }
                    """);

    /**
     * The snippet for a type: {@code examples/resources/<type>/resource.tf} in the repository when it exists
     * (so the example is a file users can copy), else the inline one.
     */
    static String forType(String type) {
        java.nio.file.Path file = java.nio.file.Path.of(System.getProperty("arbor.repo.root", ".."))
                .resolve("examples/resources").resolve(type).resolve("resource.tf");
        if (java.nio.file.Files.isRegularFile(file)) {
            try {
                return java.nio.file.Files.readString(file);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        String s = BY_TYPE.get(type);
        if (s == null) {
            throw new IllegalStateException("no docs example for " + type);
        }
        return s;
    }
}
