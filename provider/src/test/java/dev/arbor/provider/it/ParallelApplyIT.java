package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** 30 resources in one project with -parallelism=10: 423s from concurrent operations are retried, not surfaced. */
class ParallelApplyIT extends Acceptance {
    @Test
    void thirtyResourcesApplyAndDestroyConcurrently() throws Exception {
        Path ws = Terraform.workspace(HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-parallel-%s"
                }
                resource "arbor_branch" "b" {
                  count      = 15
                  project_id = arbor_project.p.id
                  name       = "b-${count.index}"
                }
                resource "arbor_role" "r" {
                  count      = 15
                  project_id = arbor_project.p.id
                  branch_id  = arbor_project.p.default_branch_id
                  name       = "role_${count.index}"
                }
                """.formatted(suffix));
        var r = tf(ws, "apply", "-auto-approve", "-parallelism=10").ok();
        assertThat(r.out()).contains("Apply complete! Resources: 31 added, 0 changed, 0 destroyed.");
        assertThat(r.all()).doesNotContain("Error");
        assertNoChanges(ws);
        tf(ws, "destroy", "-auto-approve", "-parallelism=10").ok();
    }
}
