package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.value.Unknown;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceEngineTest {
    private final BranchResource branch = new BranchResource();

    private Map<String, Object> config(Object... kv) {
        Map<String, Object> m = State.empty(branch.schema());
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void createPlansComputedValuesAsUnknownAndDefaultsAsKnown() {
        Map<String, Object> cfg = config("project_id", "p-1", "name", "dev");
        var plan = ResourceEngine.plan(branch, null, cfg, cfg);
        assertThat(plan.planned().get("id")).isSameAs(Unknown.VALUE);
        assertThat(plan.planned().get("parent_id")).isSameAs(Unknown.VALUE);
        assertThat(plan.planned().get("logical_size")).isSameAs(Unknown.VALUE);
        assertThat(plan.planned().get("protected")).isEqualTo(false);
        assertThat(plan.planned().get("schema_only")).isEqualTo(false);
        assertThat(plan.planned().get("expires_at")).isNull();
        assertThat(plan.planned().get("name")).isEqualTo("dev");
        assertThat(plan.requiresReplace()).isEmpty();
    }

    private Map<String, Object> prior() {
        Map<String, Object> s = config("id", "br-1", "project_id", "p-1", "name", "dev", "parent_id", "br-0",
                "parent_lsn", "0/16B3748", "parent_timestamp", "2026-01-01T00:00:00Z", "schema_only", false,
                "anonymized", false, "protected", false, "default", false, "logical_size", new BigDecimal(100), "created_at",
                "2026-01-01T00:00:00Z");
        return s;
    }

    @Test
    void noChangeKeepsEveryPriorValue() {
        Map<String, Object> prior = prior();
        Map<String, Object> cfg = config("project_id", "p-1", "name", "dev");
        Map<String, Object> proposed = new LinkedHashMap<>(prior);
        var plan = ResourceEngine.plan(branch, prior, proposed, cfg);
        assertThat(plan.planned()).isEqualTo(prior);
        assertThat(plan.requiresReplace()).isEmpty();
    }

    @Test
    void renameIsInPlaceButSchemaOnlyForcesReplacement() {
        Map<String, Object> prior = prior();
        Map<String, Object> proposed = new LinkedHashMap<>(prior);
        proposed.put("name", "dev2");
        var rename = ResourceEngine.plan(branch, prior, proposed, config("project_id", "p-1", "name", "dev2"));
        assertThat(rename.requiresReplace()).isEmpty();

        Map<String, Object> p2 = new LinkedHashMap<>(prior);
        p2.put("schema_only", true);
        var replace = ResourceEngine.plan(branch, prior, p2, config("project_id", "p-1", "schema_only", true));
        assertThat(replace.requiresReplace()).containsExactly("schema_only");
    }

    @Test
    void removingAnOptionalDefaultRevertsToTheDefault() {
        Map<String, Object> prior = prior();
        prior.put("protected", true);
        Map<String, Object> proposed = new LinkedHashMap<>(prior);
        var plan = ResourceEngine.plan(branch, prior, proposed, config("project_id", "p-1"));
        assertThat(plan.planned().get("protected")).isEqualTo(false);
    }

    @Test
    void applyResultNeverContradictsKnownPlannedValues() {
        Map<String, Object> planned = config("id", Unknown.VALUE, "project_id", "p-1", "name", "dev",
                "expires_at", "2030-01-01T00:00:00Z", "logical_size", Unknown.VALUE);
        Map<String, Object> api = config("id", "br-9", "project_id", "p-1", "name", "dev",
                "expires_at", "2030-01-01T00:00:00.000Z", "logical_size", new BigDecimal(7));
        Map<String, Object> out = ResourceEngine.reconcile(branch.schema(), planned, api);
        assertThat(out.get("id")).isEqualTo("br-9");
        assertThat(out.get("expires_at")).isEqualTo("2030-01-01T00:00:00Z");
        assertThat(out.get("logical_size")).isEqualTo(new BigDecimal(7));
        assertThat(out.values()).doesNotContain(Unknown.VALUE);
    }

    @Test
    void validationErrorsCarryTheAttributePath() {
        Map<String, Object> cfg = config("project_id", "p-1", "parent_lsn", "nope",
                "parent_timestamp", "2026-01-01T00:00:00Z");
        List<Diag> diags = ResourceEngine.validate(branch.schema(), cfg, branch.validate(cfg));
        assertThat(diags).extracting(Diag::path).contains(List.of("parent_lsn"), List.of("parent_timestamp"));
        assertThat(diags).allMatch(Diag::error);

        Map<String, Object> unknown = config("project_id", Unknown.VALUE, "parent_lsn", Unknown.VALUE);
        assertThat(ResourceEngine.validate(branch.schema(), unknown, List.of())).isEmpty();
    }

    @Test
    void timestampsNamingTheSameInstantAreEqualForRefresh() {
        assertThat(ResourceEngine.sameInstant("2030-01-01T00:00:00Z", "2030-01-01T00:00:00.000+00:00")).isTrue();
        assertThat(ResourceEngine.sameInstant("2030-01-01T00:00:00Z", "2030-01-01T00:00:01Z")).isFalse();
    }

    @Test
    void databaseRenameMakesItsIdUnknown() {
        DatabaseResource db = new DatabaseResource();
        Map<String, Object> prior = new LinkedHashMap<>(Map.of("id", "p/b/old", "project_id", "p", "branch_id", "b",
                "name", "old", "owner_name", "o"));
        Map<String, Object> proposed = new LinkedHashMap<>(prior);
        proposed.put("name", "new");
        var plan = ResourceEngine.plan(db, prior, proposed, proposed);
        assertThat(plan.planned().get("id")).isSameAs(Unknown.VALUE);
        assertThat(plan.requiresReplace()).isEmpty();
    }

    @Test
    void endpointMovesBetweenBranchesInPlaceButTypeForcesReplacement() {
        EndpointResource ep = new EndpointResource();
        Map<String, Object> prior = State.empty(ep.schema());
        prior.putAll(Map.of("id", "ep-1", "project_id", "p", "branch_id", "b1", "type", "read_write",
                "suspend_timeout_seconds", new BigDecimal(300), "host", "ep-1.localhost", "port", new BigDecimal(5432)));
        Map<String, Object> moved = new LinkedHashMap<>(prior);
        moved.put("branch_id", "b2");
        assertThat(ResourceEngine.plan(ep, prior, moved, moved).requiresReplace()).isEmpty();
        Map<String, Object> ro = new LinkedHashMap<>(prior);
        ro.put("type", "read_only");
        assertThat(ResourceEngine.plan(ep, prior, ro, ro).requiresReplace()).containsExactly("type");
    }
}
