package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseResourceIT extends Acceptance {
    private String config(String dbName, String owner, String branch) {
        return HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-db-%s"
                }
                resource "arbor_branch" "other" {
                  project_id = arbor_project.p.id
                  name       = "other"
                }
                resource "arbor_role" "owner1" {
                  project_id = arbor_project.p.id
                  branch_id  = %s
                  name       = "owner1"
                }
                resource "arbor_role" "owner2" {
                  project_id = arbor_project.p.id
                  branch_id  = %s
                  name       = "owner2"
                }
                resource "arbor_database" "d" {
                  project_id = arbor_project.p.id
                  branch_id  = %s
                  name       = "%s"
                  owner_name = arbor_role.%s.name
                }
                """.formatted(suffix, branch, branch, branch, dbName, owner);
    }

    @Test
    void lifecycle() throws Exception {
        String main = "arbor_project.p.default_branch_id";
        Path ws = Terraform.workspace(config("reports", "owner1", main));
        apply(ws);
        Map<String, Object> s = state(ws, "arbor_database", "d");
        String projectId = str(s, "project_id");
        String branchId = str(s, "branch_id");
        assertThat(str(s, "id")).isEqualTo(projectId + "/" + branchId + "/reports");
        assertNoChanges(ws);

        // rename and change owner in place
        Terraform.write(ws, config("analytics", "owner2", main));
        assertThat(planChanges(ws)).contains("arbor_database.d will be updated in-place")
                .contains("~ name       = \"reports\" -> \"analytics\"").doesNotContain("forces replacement");
        apply(ws);
        String dbs = api().get("/projects/" + projectId + "/branches/" + branchId + "/databases").toString();
        assertThat(dbs).contains("name=analytics").contains("owner_name=owner2").doesNotContain("name=reports");
        assertThat(str(state(ws, "arbor_database", "d"), "id")).endsWith("/analytics");
        assertNoChanges(ws);

        // moving to another branch replaces it
        Terraform.write(ws, config("analytics", "owner2", "arbor_branch.other.id"));
        assertThat(planChanges(ws)).contains("arbor_database.d must be replaced").contains("# forces replacement");
        Terraform.write(ws, config("analytics", "owner2", main));

        Path imported = Terraform.workspace(HEADER + """
                resource "arbor_database" "d" {
                  project_id = "%s"
                  branch_id  = "%s"
                  name       = "analytics"
                  owner_name = "owner2"
                }
                import {
                  to = arbor_database.d
                  id = "%s/%s/analytics"
                }
                """.formatted(projectId, branchId, projectId, branchId));
        assertThat(apply(imported).out()).contains("1 imported, 0 added, 0 changed");
        assertNoChanges(imported);

        api().mutate("DELETE", projectId, "/projects/" + projectId + "/branches/" + branchId + "/databases/analytics",
                null);
        assertThat(planChanges(ws)).contains("arbor_database.d will be created");
        apply(ws);
        assertNoChanges(ws);

        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + projectId))).isTrue();
    }
}
