package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProjectResourceIT extends Acceptance {
    private String config(String name, int retention, String extra) {
        return HEADER + """
                resource "arbor_project" "p" {
                  name                      = "%s"
                  history_retention_seconds = %d
                  %s
                }
                """.formatted(name, retention, extra);
    }

    @Test
    void lifecycle() throws Exception {
        String name = "acc-project-" + suffix;
        Path ws = Terraform.workspace(config(name, 3600, ""));
        apply(ws);
        Map<String, Object> s = state(ws, "arbor_project", "p");
        String id = str(s, "id");
        assertThat(id).isNotBlank();
        assertThat(str(s, "default_branch_id")).isNotBlank();
        assertThat(str(s, "default_role_name")).isNotBlank();
        assertThat(str(s, "default_database_name")).isNotBlank();
        assertThat(api().get("/projects/" + id)).containsKey("project");
        assertNoChanges(ws);

        // in-place update
        Terraform.write(ws, config(name + "-renamed", 7200, ""));
        assertThat(planChanges(ws)).contains("arbor_project.p will be updated in-place")
                .contains("~ name").doesNotContain("forces replacement");
        apply(ws);
        assertThat(str(state(ws, "arbor_project", "p"), "id")).isEqualTo(id);
        assertThat(api().get("/projects/" + id).toString()).contains(name + "-renamed");
        assertNoChanges(ws);

        // force-new: the default branch is created with the project
        Terraform.write(ws, config(name + "-renamed", 7200, "default_branch_name = \"trunk\""));
        assertThat(planChanges(ws)).contains("arbor_project.p must be replaced").contains("# forces replacement");

        // import into a fresh workspace through an import block (Branch/RoleResourceIT use the CLI)
        Terraform.write(ws, config(name + "-renamed", 7200, ""));
        Path imported = Terraform.workspace(config(name + "-renamed", 7200, "") + """
                import {
                  to = arbor_project.p
                  id = "%s"
                }
                """.formatted(id));
        assertThat(apply(imported).out()).contains("1 imported, 0 added, 0 changed, 0 destroyed");
        assertThat(str(state(imported, "arbor_project", "p"), "default_branch_id"))
                .isEqualTo(str(s, "default_branch_id"));
        assertNoChanges(imported);

        // drift: deleted outside Terraform, so refresh drops it and the plan recreates it
        api().delete("/projects/" + id);
        assertThat(planChanges(ws)).contains("arbor_project.p will be created");
        apply(ws);
        String recreated = str(state(ws, "arbor_project", "p"), "id");
        assertThat(recreated).isNotEqualTo(id);

        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + recreated))).isTrue();
    }
}
