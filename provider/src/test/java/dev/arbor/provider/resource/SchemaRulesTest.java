package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.tf.ArborProvider;
import org.junit.jupiter.api.Test;

/** The schema rules Terraform enforces at load time, checked for every resource and data source. */
class SchemaRulesTest {
    @Test
    void everyResourceHasAComputedIdAndOnlyConfigurableAttributesForceReplacement() {
        ArborProvider p = new ArborProvider();
        assertThat(p.resources()).containsOnlyKeys("arbor_project", "arbor_branch", "arbor_endpoint", "arbor_role",
                "arbor_database", "arbor_masking_rules");
        assertThat(p.dataSources()).containsOnlyKeys("arbor_project", "arbor_branch", "arbor_branches",
                "arbor_connection_uri");
        p.resources().values().forEach(r -> {
            assertThat(r.schema().attribute("id").mode()).isEqualTo(Attribute.Mode.COMPUTED);
            for (Attribute a : r.schema().attributes()) {
                if (a.forceNew()) {
                    assertThat(a.mode().configurable()).as(r.typeName() + "." + a.name()).isTrue();
                }
                if (a.defaultValue() != null) {
                    assertThat(a.mode()).isEqualTo(Attribute.Mode.OPTIONAL_COMPUTED);
                }
            }
        });
    }

    @Test
    void secretsAreSensitive() {
        ArborProvider p = new ArborProvider();
        assertThat(p.resources().get("arbor_role").schema().attribute("password").sensitive()).isTrue();
        assertThat(p.dataSources().get("arbor_connection_uri").schema().attribute("uri").sensitive()).isTrue();
        assertThat(ArborProvider.CONFIG.attribute("api_key").sensitive()).isTrue();
    }

    @Test
    void importIdsAreParsedOrRejectedWithTheExpectedFormat() {
        var b = new BranchResource().importState("p-1/br-2");
        assertThat(b).containsEntry("project_id", "p-1").containsEntry("id", "br-2");
        var r = new RoleResource().importState("p/b/alice");
        assertThat(r).containsEntry("name", "alice").containsEntry("branch_id", "b");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BranchResource().importState("only-one"))
                .hasMessageContaining("<project_id>/<branch_id>");
    }
}
