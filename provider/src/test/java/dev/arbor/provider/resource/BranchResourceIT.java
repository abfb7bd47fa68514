package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BranchResourceIT extends Acceptance {
    private String config(String branchBody) {
        return HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-branch-%s"
                }
                resource "arbor_branch" "b" {
                  project_id = arbor_project.p.id
                  %s
                }
                """.formatted(suffix, branchBody);
    }

    @Test
    void lifecycle() throws Exception {
        Path ws = Terraform.workspace(config("name = \"dev\""));
        apply(ws);
        Map<String, Object> s = state(ws, "arbor_branch", "b");
        String projectId = str(s, "project_id");
        String id = str(s, "id");
        assertThat(id).isNotBlank();
        assertThat(str(s, "parent_id")).isEqualTo(str(state(ws, "arbor_project", "p"), "default_branch_id"));
        assertThat(s.get("protected")).isEqualTo(false);
        assertNoChanges(ws);

        // in place: rename and set an expiry (the API takes at most 30 days ahead)
        String expiry = java.time.Instant.now().plus(java.time.Duration.ofDays(7))
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        Terraform.write(ws, config("name = \"dev-2\"\n  expires_at = \"" + expiry + "\""));
        assertThat(planChanges(ws)).contains("arbor_branch.b will be updated in-place")
                .doesNotContain("forces replacement");
        apply(ws);
        Map<String, Object> s2 = state(ws, "arbor_branch", "b");
        assertThat(str(s2, "id")).isEqualTo(id);
        assertThat(str(s2, "expires_at")).isEqualTo(expiry);
        assertThat(api().get("/projects/" + projectId + "/branches/" + id).toString()).contains("dev-2");
        assertNoChanges(ws);

        // in place: clear the expiry, then protect (a protected branch cannot expire)
        Terraform.write(ws, config("name = \"dev-2\""));
        apply(ws);
        assertThat(state(ws, "arbor_branch", "b").get("expires_at")).isNull();
        Terraform.write(ws, config("name = \"dev-2\"\n  protected = true"));
        assertThat(planChanges(ws)).contains("arbor_branch.b will be updated in-place")
                .doesNotContain("forces replacement");
        apply(ws);
        assertThat(str(state(ws, "arbor_branch", "b"), "id")).isEqualTo(id);
        assertThat(api().get("/projects/" + projectId + "/branches/" + id).toString()).contains("protected=true");
        assertNoChanges(ws);
        // unprotect again so drift and destroy can delete it
        Terraform.write(ws, config("name = \"dev-2\""));
        apply(ws);
        assertNoChanges(ws);

        // force-new
        Terraform.write(ws, config("name = \"dev-2\"\n  schema_only = true"));
        assertThat(planChanges(ws)).contains("arbor_branch.b must be replaced")
                .contains("schema_only") .contains("# forces replacement");
        Terraform.write(ws, config("name = \"dev-2\""));

        // import (CLI)
        Path cli = Terraform.workspace(HEADER + """
                resource "arbor_branch" "b" {
                  project_id = "%s"
                  name       = "dev-2"
                }
                """.formatted(projectId));
        tf(cli, "import", "arbor_branch.b", projectId + "/" + id).ok();
        assertThat(str(state(cli, "arbor_branch", "b"), "parent_id")).isEqualTo(str(s, "parent_id"));
        assertNoChanges(cli);

        // drift
        api().mutate("DELETE", projectId, "/projects/" + projectId + "/branches/" + id, null);
        assertThat(planChanges(ws)).contains("arbor_branch.b will be created");
        apply(ws);
        String recreated = str(state(ws, "arbor_branch", "b"), "id");
        assertThat(recreated).isNotEqualTo(id);
        assertNoChanges(ws);

        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + projectId))).isTrue();
    }
}
