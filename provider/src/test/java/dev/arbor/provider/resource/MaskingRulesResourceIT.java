package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.it.Acceptance;
import dev.arbor.provider.it.Terraform;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * arbor_masking_rules with the real terraform CLI: a seeded main, an anonymized branch whose rows psql reads
 * back masked, then the usual lifecycle (no-change plan, in-place update, bad rule, force-new, import, drift,
 * destroy).
 */
class MaskingRulesResourceIT extends Acceptance {
    private static final String EMAIL_RULE = """
                {
                  database_name    = arbor_project.p.default_database_name
                  schema_name      = "public"
                  table_name       = "customers"
                  column_name      = "email"
                  masking_function = "anon.fake_email()"
                },""";

    private String project() {
        return HEADER + """
                resource "arbor_project" "p" {
                  name = "acc-mask-%s"
                }
                data "arbor_connection_uri" "main" {
                  project_id    = arbor_project.p.id
                  branch_id     = arbor_project.p.default_branch_id
                  role_name     = arbor_project.p.default_role_name
                  database_name = arbor_project.p.default_database_name
                }
                output "main_uri" {
                  value     = data.arbor_connection_uri.main.uri
                  sensitive = true
                }
                """.formatted(suffix);
    }

    /** The project, main-anon with an endpoint, and rules (the list's body) on main-anon or {@code branchRef}. */
    private String config(String rules, String branchRef) {
        return project() + """
                resource "arbor_branch" "anon" {
                  project_id = arbor_project.p.id
                  name       = "main-anon"
                  anonymized = true
                }
                resource "arbor_endpoint" "anon" {
                  project_id = arbor_project.p.id
                  branch_id  = arbor_branch.anon.id
                }
                resource "arbor_masking_rules" "anon" {
                  project_id = arbor_project.p.id
                  %s
                  rules = [%s
                  ]
                }
                data "arbor_connection_uri" "anon" {
                  project_id    = arbor_project.p.id
                  branch_id     = arbor_branch.anon.id
                  endpoint_id   = arbor_endpoint.anon.id
                  role_name     = arbor_project.p.default_role_name
                  database_name = arbor_project.p.default_database_name
                  depends_on    = [arbor_masking_rules.anon]
                }
                output "anon_uri" {
                  value     = data.arbor_connection_uri.anon.uri
                  sensitive = true
                }
                """.formatted("branch_id = " + (branchRef.isEmpty() ? "arbor_branch.anon.id" : branchRef), rules);
    }

    private static String nameRule(String masking) {
        return """

                {
                  database_name = arbor_project.p.default_database_name
                  schema_name   = "public"
                  table_name    = "customers"
                  column_name   = "full_name"
                  %s
                },""".formatted(masking);
    }

    private static String psql(String uri, String sql) throws Exception {
        Process p = new ProcessBuilder("psql", uri, "-v", "ON_ERROR_STOP=1", "-tAc", sql).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor()).as("psql %s: %s", sql, out).isZero();
        return out;
    }

    @Test
    void lifecycleMasksTheRowsPsqlReads() throws Exception {
        Path ws = Terraform.workspace(project());
        apply(ws);
        String mainUri = tf(ws, "output", "-raw", "main_uri").ok().out();
        psql(mainUri, "create table customers (id int primary key, email text not null, full_name text);"
                + "insert into customers select g, 'pii-" + suffix + "-' || g || '@example.com', 'Name" + suffix
                + "' || g from generate_series(1, 50) g");
        String projectId = str(state(ws, "arbor_project", "p"), "id");

        // create: an anonymized branch filled through the rules
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_value = \"'REDACTED'\""), ""));
        apply(ws);
        Map<String, Object> s = state(ws, "arbor_masking_rules", "anon");
        String branchId = str(state(ws, "arbor_branch", "anon"), "id");
        assertThat(str(s, "id")).isEqualTo(projectId + "/" + branchId);
        assertThat(str(s, "anonymized_status")).isEqualTo("anonymized");
        assertThat(state(ws, "arbor_branch", "anon").get("anonymized")).isEqualTo(true);
        String anonUri = tf(ws, "output", "-raw", "anon_uri").ok().out();
        assertThat(psql(anonUri, "select count(*) from customers")).isEqualTo("50");
        assertThat(psql(anonUri, "select count(*) from customers where email like 'pii-" + suffix + "%'")).isEqualTo("0");
        assertThat(psql(anonUri, "select count(distinct email) from customers where email like '%@%'")).isEqualTo("50");
        assertThat(psql(anonUri, "select distinct full_name from customers")).isEqualTo("REDACTED");
        assertThat(psql(mainUri, "select email from customers where id = 1")).isEqualTo("pii-" + suffix + "-1@example.com");
        assertNoChanges(ws);

        // in place: the name rule becomes a function, which reruns the job
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_function = \"anon.fake_first_name()\""), ""));
        assertThat(planChanges(ws)).contains("arbor_masking_rules.anon will be updated in-place")
                .doesNotContain("forces replacement");
        apply(ws);
        assertThat(str(state(ws, "arbor_masking_rules", "anon"), "anonymized_status")).isEqualTo("anonymized");
        assertThat(api().get("/projects/" + projectId + "/branches/" + branchId + "/masking_rules").toString())
                .contains("anon.fake_first_name()");
        assertThat(psql(anonUri, "select count(*) from customers where full_name = 'REDACTED' or full_name like 'Name"
                + suffix + "%'")).isEqualTo("0");
        assertNoChanges(ws);

        // a rule Arbor refuses is an error naming the rule; the state keeps the rules that work
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_function = \"anon.no_such_function()\""), ""));
        Terraform.Result bad = tf(ws, "apply", "-auto-approve");
        assertThat(bad.exit()).as(bad.all()).isEqualTo(1);
        assertThat(bad.all()).contains("arbor_masking_rules.anon").contains("no_such_function");
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_function = \"anon.fake_first_name()\""), ""));
        apply(ws);
        assertNoChanges(ws);

        // validation: exactly one of masking_function and masking_value, with the element's path
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_function = \"anon.fake_first_name()\"\n"
                + "  masking_value = \"'x'\""), ""));
        Terraform.Result invalid = tf(ws, "plan");
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.all()).contains("Invalid masking rule").contains("rules[1]");

        // force-new: the rules move to another branch
        Terraform.write(ws, config(EMAIL_RULE, "arbor_branch.other.id") + """
                resource "arbor_branch" "other" {
                  project_id = arbor_project.p.id
                  name       = "other-anon"
                  anonymized = true
                }
                """);
        assertThat(planChanges(ws)).contains("arbor_masking_rules.anon must be replaced")
                .contains("# forces replacement");
        Terraform.write(ws, config(EMAIL_RULE + nameRule("masking_function = \"anon.fake_first_name()\""), ""));

        // import (CLI), into a configuration naming the ids
        Path cli = Terraform.workspace(HEADER + """
                resource "arbor_masking_rules" "anon" {
                  project_id = "%s"
                  branch_id  = "%s"
                  rules = [
                    {
                      database_name    = "%s"
                      schema_name      = "public"
                      table_name       = "customers"
                      column_name      = "email"
                      masking_function = "anon.fake_email()"
                    },
                    {
                      database_name    = "%s"
                      schema_name      = "public"
                      table_name       = "customers"
                      column_name      = "full_name"
                      masking_function = "anon.fake_first_name()"
                    },
                  ]
                }
                """.formatted(projectId, branchId, dbName(ws), dbName(ws)));
        tf(cli, "import", "arbor_masking_rules.anon", projectId + "/" + branchId).ok();
        Map<String, Object> imported = state(cli, "arbor_masking_rules", "anon");
        assertThat(str(imported, "anonymized_status")).isEqualTo("anonymized");
        assertThat((List<?>) imported.get("rules")).hasSize(2);
        assertNoChanges(cli);

        // drift: the branch is deleted outside Terraform; the plan recreates branch and rules, no crash
        api().mutate("DELETE", projectId, "/projects/" + projectId + "/branches/" + branchId, null);
        assertThat(planChanges(ws)).contains("arbor_masking_rules.anon will be created")
                .contains("arbor_branch.anon will be created");
        apply(ws);
        String recreated = str(state(ws, "arbor_branch", "anon"), "id");
        assertThat(recreated).isNotEqualTo(branchId);
        assertThat(str(state(ws, "arbor_masking_rules", "anon"), "anonymized_status")).isEqualTo("anonymized");
        assertNoChanges(ws);

        // destroy clears the rules before the branch goes
        tf(ws, "destroy", "-auto-approve").ok();
        assertThat(gone(() -> api().get("/projects/" + projectId))).isTrue();
    }

    private String dbName(Path ws) throws Exception {
        return str(state(ws, "arbor_project", "p"), "default_database_name");
    }
}
