package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointResourceIT extends Acceptance {
    private String config(String endpointBody) {
        return HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-endpoint-%s"
                }
                resource "arbor_branch" "b" {
                  project_id = arbor_project.p.id
                  name       = "ep-branch"
                }
                resource "arbor_endpoint" "e" {
                  project_id = arbor_project.p.id
                  branch_id  = arbor_branch.b.id
                  %s
                }
                """.formatted(suffix, endpointBody);
    }

    @Test
    void lifecycle() throws Exception {
        Path ws = Terraform.workspace(config("suspend_timeout_seconds = 300"));
        apply(ws);
        Map<String, Object> s = state(ws, "arbor_endpoint", "e");
        String projectId = str(s, "project_id");
        String id = str(s, "id");
        assertThat(id).isNotBlank();
        assertThat(str(s, "type")).isEqualTo("read_write");
        assertThat(str(s, "host")).contains(id);
        assertThat(s.get("port")).isNotNull();
        assertNoChanges(ws);

        Terraform.write(ws, config("suspend_timeout_seconds = 600"));
        assertThat(planChanges(ws)).contains("arbor_endpoint.e will be updated in-place")
                .contains("~ suspend_timeout_seconds = 300 -> 600");
        apply(ws);
        assertThat(str(state(ws, "arbor_endpoint", "e"), "id")).isEqualTo(id);
        assertThat(api().get("/projects/" + projectId + "/endpoints/" + id).toString())
                .contains("suspend_timeout_seconds=600");
        assertNoChanges(ws);

        Terraform.write(ws, config("suspend_timeout_seconds = 600\n  type = \"read_only\""));
        assertThat(planChanges(ws)).contains("arbor_endpoint.e must be replaced").contains("# forces replacement");
        Terraform.write(ws, config("suspend_timeout_seconds = 600"));

        Path imported = Terraform.workspace(HEADER + """
                resource "arbor_endpoint" "e" {
                  project_id              = "%s"
                  branch_id               = "%s"
                  suspend_timeout_seconds = 600
                }
                import {
                  to = arbor_endpoint.e
                  id = "%s/%s"
                }
                """.formatted(projectId, str(s, "branch_id"), projectId, id));
        assertThat(apply(imported).out()).contains("1 imported, 0 added, 0 changed");
        assertNoChanges(imported);

        api().mutate("DELETE", projectId, "/projects/" + projectId + "/endpoints/" + id, null);
        assertThat(planChanges(ws)).contains("arbor_endpoint.e will be created");
        apply(ws);
        assertThat(str(state(ws, "arbor_endpoint", "e"), "id")).isNotEqualTo(id);

        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + projectId))).isTrue();
    }
}
