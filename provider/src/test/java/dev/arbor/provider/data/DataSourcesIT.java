package dev.arbor.provider.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DataSourcesIT extends Acceptance {
    @Test
    void readsProjectBranchesAndConnectionUri() throws Exception {
        Path ws = Terraform.workspace(HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-data-%s"
                }
                resource "arbor_branch" "dev" {
                  project_id = arbor_project.p.id
                  name       = "dev"
                }
                data "arbor_project" "p" {
                  id = arbor_project.p.id
                }
                data "arbor_branch" "by_name" {
                  project_id = arbor_project.p.id
                  name       = arbor_branch.dev.name
                }
                data "arbor_branch" "by_id" {
                  project_id = arbor_project.p.id
                  id         = arbor_branch.dev.id
                }
                data "arbor_branches" "all" {
                  project_id = arbor_project.p.id
                  depends_on = [arbor_branch.dev]
                }
                data "arbor_connection_uri" "main" {
                  project_id    = arbor_project.p.id
                  branch_id     = arbor_project.p.default_branch_id
                  role_name     = arbor_project.p.default_role_name
                  database_name = arbor_project.p.default_database_name
                }
                output "project_name" { value = data.arbor_project.p.name }
                output "default_branch" { value = data.arbor_project.p.default_branch_id == arbor_project.p.default_branch_id }
                output "by_name" { value = data.arbor_branch.by_name.id == arbor_branch.dev.id }
                output "by_id" { value = data.arbor_branch.by_id.name }
                output "names" { value = join(",", sort(data.arbor_branches.all.branches[*].name)) }
                output "uri" {
                  value     = data.arbor_connection_uri.main.uri
                  sensitive = true
                }
                """.formatted(suffix));
        apply(ws);
        assertThat(tf(ws, "output", "-raw", "project_name").ok().out()).isEqualTo("acc-data-" + suffix);
        assertThat(tf(ws, "output", "-raw", "default_branch").ok().out()).isEqualTo("true");
        assertThat(tf(ws, "output", "-raw", "by_name").ok().out()).isEqualTo("true");
        assertThat(tf(ws, "output", "-raw", "by_id").ok().out()).isEqualTo("dev");
        assertThat(tf(ws, "output", "-raw", "names").ok().out()).contains("dev");
        String uri = tf(ws, "output", "-raw", "uri").ok().out();
        assertThat(uri).startsWith("postgres");
        // The URI Terraform produced reaches a real PostgreSQL through Arbor's proxy.
        Process psql = new ProcessBuilder("psql", uri, "-tAc", "select current_user || '@' || current_database()")
                .redirectErrorStream(true).start();
        String answer = new String(psql.getInputStream().readAllBytes()).trim();
        assertThat(psql.waitFor()).as("psql output: %s", answer).isZero();
        assertThat(answer).isEqualTo(str(state(ws, "arbor_project", "p"), "default_role_name") + "@"
                + str(state(ws, "arbor_project", "p"), "default_database_name"));

        Terraform.write(ws, HEADER + """
                data "arbor_branch" "missing" {
                  project_id = "%s"
                  name       = "no-such-branch"
                }
                """.formatted(str(state(ws, "arbor_project", "p"), "id")));
        var r = tf(ws, "plan");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.all()).contains("Branch not found").contains("no-such-branch");
    }
}
