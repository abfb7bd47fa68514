package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real terraform CLI against the packaged provider, for what needs no Arbor server. */
class ProviderCliIT {
    private static final Map<String, String> ENV = Map.of("ARBOR_API_URL", "http://127.0.0.1:9/api/v2");
    private static final String HEADER = """
            terraform {
              required_providers {
                arbor = { source = "arbordb/arbor" }
              }
            }
            """;

    @Test
    void schemaIsServedThroughTheRealHandshake() throws Exception {
        Path ws = Terraform.workspace(HEADER);
        var r = Terraform.run(ws, ENV, "providers", "schema", "-json").ok();
        assertThat(r.out()).contains("\"registry.terraform.io/arbordb/arbor\"")
                .contains("\"arbor_project\"", "\"arbor_branch\"", "\"arbor_endpoint\"", "\"arbor_role\"",
                        "\"arbor_database\"", "\"arbor_branches\"", "\"arbor_connection_uri\"")
                .contains("\"password\":{\"type\":\"string\"");
    }

    @Test
    void validationErrorsPointAtTheAttribute() throws Exception {
        Path ws = Terraform.workspace(HEADER + """
                resource "arbor_branch" "b" {
                  project_id       = "p-1"
                  parent_lsn       = "not-an-lsn"
                }
                resource "arbor_endpoint" "e" {
                  project_id = "p-1"
                  branch_id  = "br-1"
                  type       = "read_maybe"
                }
                """);
        var r = Terraform.run(ws, ENV, "validate");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.all())
                .contains("Invalid value for \"parent_lsn\"")
                .contains("on main.tf line 8, in resource \"arbor_branch\" \"b\"")
                .contains("parent_lsn       = \"not-an-lsn\"")
                .contains("Invalid value for \"type\"")
                .contains("must be one of \"read_write\", \"read_only\"");
    }

    @Test
    void createPlanShowsUnknownsAndSensitiveValues() throws Exception {
        Path ws = Terraform.workspace(HEADER + """
                resource "arbor_branch" "b" {
                  project_id = "p-1"
                  name       = "dev"
                }
                resource "arbor_role" "r" {
                  project_id = "p-1"
                  branch_id  = arbor_branch.b.id
                  name       = "dev"
                }
                """);
        var r = Terraform.run(ws, ENV, "plan").ok();
        assertThat(r.out())
                .contains("arbor_branch.b will be created")
                .contains("+ id               = (known after apply)")
                .contains("+ protected        = false")
                .contains("+ branch_id  = (known after apply)")
                .contains("+ password   = (sensitive value)")
                .contains("Plan: 2 to add, 0 to change, 0 to destroy.");
    }

    @Test
    void missingApiUrlIsReportedOnTheProviderAttribute() throws Exception {
        Path ws = Terraform.workspace(HEADER + """
                provider "arbor" {}
                resource "arbor_branch" "b" {
                  project_id = "p-1"
                }
                """);
        var r = Terraform.run(ws, Map.of("ARBOR_API_URL", ""), "plan");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.all()).contains("Missing Arbor API URL").contains("ARBOR_API_URL");
    }
}
