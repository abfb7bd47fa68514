package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleResourceIT extends Acceptance {
    private String config(String roleName) {
        return HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-role-%s"
                }
                resource "arbor_role" "r" {
                  project_id = arbor_project.p.id
                  branch_id  = arbor_project.p.default_branch_id
                  name       = "%s"
                }
                output "password" {
                  value     = arbor_role.r.password
                  sensitive = true
                }
                """.formatted(suffix, roleName);
    }

    @Test
    void lifecycle() throws Exception {
        Path ws = Terraform.workspace(config("alice"));
        var created = apply(ws);
        assertThat(created.out()).doesNotContain(str(state(ws, "arbor_role", "r"), "password"));
        Map<String, Object> s = state(ws, "arbor_role", "r");
        String projectId = str(s, "project_id");
        String branchId = str(s, "branch_id");
        assertThat(str(s, "id")).isEqualTo(projectId + "/" + branchId + "/alice");
        assertThat(str(s, "password")).isNotBlank();
        assertNoChanges(ws);

        // every role attribute is create-time: a rename replaces the role
        Terraform.write(ws, config("bob"));
        assertThat(planChanges(ws)).contains("arbor_role.r must be replaced").contains("# forces replacement")
                .contains("(sensitive value)");
        apply(ws);
        String roles = api().get("/projects/" + projectId + "/branches/" + branchId + "/roles").toString();
        assertThat(roles).contains("bob").doesNotContain("name=alice");
        assertNoChanges(ws);

        Path cli = Terraform.workspace(HEADER + """
                resource "arbor_role" "r" {
                  project_id = "%s"
                  branch_id  = "%s"
                  name       = "bob"
                }
                """.formatted(projectId, branchId));
        tf(cli, "import", "arbor_role.r", projectId + "/" + branchId + "/bob").ok();
        assertThat(str(state(cli, "arbor_role", "r"), "password")).isEqualTo(str(state(ws, "arbor_role", "r"), "password"));
        assertNoChanges(cli);

        api().mutate("DELETE", projectId, "/projects/" + projectId + "/branches/" + branchId + "/roles/bob", null);
        assertThat(planChanges(ws)).contains("arbor_role.r will be created");
        apply(ws);
        assertNoChanges(ws);

        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + projectId))).isTrue();
    }
}
