package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.value.Msgpack;
import dev.arbor.provider.value.Unknown;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Planning, validation and error paths of arbor_masking_rules (the API side runs in MaskingRulesResourceIT). */
class MaskingRulesResourceTest {
    private final MaskingRulesResource r = new MaskingRulesResource();

    private static Map<String, Object> rule(String column, String function, String value) {
        Map<String, Object> m = new HashMap<>();
        m.put("database_name", "app");
        m.put("schema_name", "public");
        m.put("table_name", "users");
        m.put("column_name", column);
        m.put("masking_function", function);
        m.put("masking_value", value);
        return m;
    }

    private Map<String, Object> config(List<?> rules, Object start) {
        Map<String, Object> m = State.empty(r.schema());
        m.put("project_id", "p-1");
        m.put("branch_id", "br-1");
        m.put("rules", rules);
        m.put("start_anonymization", start);
        return m;
    }

    @Test
    void rulesIsANestedListWhoseFunctionAndValueAreOptional() {
        Tfplugin6.Schema.Attribute rules = r.schema().toProto().getBlock().getAttributesList().stream()
                .filter(a -> a.getName().equals("rules")).findFirst().orElseThrow();
        assertThat(rules.getType().isEmpty()).isTrue();
        assertThat(rules.getNestedType().getNesting()).isEqualTo(Tfplugin6.Schema.Object.NestingMode.LIST);
        assertThat(rules.getNestedType().getAttributesList()).extracting(a -> a.getName() + ":" + a.getRequired())
                .containsExactly("database_name:true", "schema_name:true", "table_name:true", "column_name:true",
                        "masking_function:false", "masking_value:false");
        // the value type Terraform sends still round-trips through msgpack
        Map<String, Object> cfg = config(List.of(rule("email", "anon.fake_email()", null)), true);
        assertThat(Msgpack.decode(Msgpack.encode(cfg, r.schema().objectType()), r.schema().objectType())).isEqualTo(cfg);
    }

    @Test
    void eachRuleNeedsExactlyOneOfFunctionAndValue() {
        List<Diag> d = r.validate(config(List.of(rule("email", "anon.fake_email()", null),
                rule("phone", "anon.fake_phone()", "x"), rule("notes", null, null), rule("", null, "y")), true));
        assertThat(d).extracting(Diag::path).containsExactly(List.of("rules", "[1]"), List.of("rules", "[2]"),
                List.of("rules", "[3]", "column_name"));
        assertThat(d.getFirst().toProto().getAttribute().getSteps(1).getElementKeyInt()).isEqualTo(1);
        assertThat(r.validate(config(List.of(), true))).extracting(Diag::path).containsExactly(List.of("rules"));
        assertThat(r.validate(config(List.of(rule("email", null, "x")), true))).isEmpty();
    }

    @Test
    void createPlansTheIdAndAnUnknownStatusOnlyWhenTheJobRuns() {
        Map<String, Object> cfg = config(List.of(rule("email", "anon.fake_email()", null)), null);
        var plan = ResourceEngine.plan(r, null, cfg, cfg);
        assertThat(plan.planned().get("id")).isEqualTo("p-1/br-1");
        assertThat(plan.planned().get("start_anonymization")).isEqualTo(true);
        assertThat(plan.planned().get("anonymized_status")).isSameAs(Unknown.VALUE);

        Map<String, Object> prior = new LinkedHashMap<>(plan.planned());
        prior.put("anonymized_status", "anonymized");
        var same = ResourceEngine.plan(r, prior, new LinkedHashMap<>(prior), cfg);
        assertThat(same.planned()).isEqualTo(prior);

        Map<String, Object> proposed = new LinkedHashMap<>(prior);
        proposed.put("rules", List.of(rule("email", null, "x")));
        var update = ResourceEngine.plan(r, prior, proposed, cfg);
        assertThat(update.requiresReplace()).isEmpty();
        assertThat(update.planned().get("anonymized_status")).isSameAs(Unknown.VALUE);

        proposed.put("start_anonymization", false);
        var noRun = ResourceEngine.plan(r, prior, proposed, config(List.of(), false));
        assertThat(noRun.planned().get("anonymized_status")).isEqualTo("anonymized");

        proposed.put("branch_id", "br-2");
        assertThat(ResourceEngine.plan(r, prior, proposed, cfg).requiresReplace()).containsExactly("branch_id");
    }

    @Test
    void arborsRuleIndexBecomesTheDiagnosticPath() {
        assertThat(MaskingRulesResource.rulePath("masking_rules[2].column_name: no column \"x\" in public.users"))
                .containsExactly("rules", "[2]", "column_name");
        assertThat(MaskingRulesResource.rulePath("masking_rules[0] needs exactly one of masking_function and masking_value"))
                .containsExactly("rules", "[0]");
        assertThat(MaskingRulesResource.rulePath("branch br-1 is not an anonymized branch")).containsExactly("rules");
    }

    @Test
    void importIdNamesProjectAndBranch() {
        Map<String, Object> s = r.importState("p-1/br-1");
        assertThat(s).containsEntry("project_id", "p-1").containsEntry("branch_id", "br-1").containsEntry("id", "p-1/br-1");
    }
}
