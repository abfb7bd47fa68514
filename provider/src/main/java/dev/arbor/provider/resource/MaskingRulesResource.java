package dev.arbor.provider.resource;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.tf.ProviderError;
import dev.arbor.provider.value.Unknown;
import dev.arbor.provider.value.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code arbor_masking_rules}: the masking rules of an anonymized branch (one resource per branch), and
 * optionally the anonymization run that re-derives the branch's rows from its source through them.
 */
public final class MaskingRulesResource implements ManagedResource {
    static final List<String> RULE_FIELDS = List.of("database_name", "schema_name", "table_name", "column_name",
            "masking_function", "masking_value");
    private static final Pattern RULE_INDEX = Pattern.compile("masking_rules\\[(\\d+)]\\.?([a-z_]*)");

    static final Schema SCHEMA = new Schema(0,
            "The masking rules of an anonymized branch (an `arbor_branch` with `anonymized = true`). After the "
                    + "rules are written, Arbor re-derives the branch from its source branch, masking each listed "
                    + "column (unless `start_anonymization = false`). Destroying the resource clears the rules; the "
                    + "branch keeps its already masked rows.",
            List.of(
                    Attribute.string("id").computed()
                            .description("`<project_id>/<branch_id>`.").build(),
                    Attribute.string("project_id").required().forceNew()
                            .description("ID of the project that owns the branch.").build(),
                    Attribute.string("branch_id").required().forceNew()
                            .description("ID of the anonymized branch the rules belong to.").build(),
                    Attribute.nestedList("rules", List.of(
                            Attribute.string("database_name").required()
                                    .description("Database holding the column.").build(),
                            Attribute.string("schema_name").required()
                                    .description("Schema holding the table, e.g. `public`.").build(),
                            Attribute.string("table_name").required()
                                    .description("Table holding the column.").build(),
                            Attribute.string("column_name").required()
                                    .description("The masked column.").build(),
                            Attribute.string("masking_function").optional()
                                    .description("A PostgreSQL Anonymizer call, e.g. `anon.fake_email()`, "
                                            + "`anon.partial(phone,2,$$******$$,2)` or `anon.hash(email)`. Set "
                                            + "exactly one of `masking_function` and `masking_value`.").build(),
                            Attribute.string("masking_value").optional()
                                    .description("A constant written instead of the value, as an SQL literal: `'redacted'`, `0` "
                                            + "or `NULL` (refused on NOT NULL columns). Set exactly one of "
                                            + "`masking_function` and `masking_value`.").build()))
                            .required()
                            .description("The rules, one per masked column (at least one). Updated in place; a "
                                    + "change reruns the anonymization when `start_anonymization` is true.")
                            .build(),
                    Attribute.bool("start_anonymization").defaultValue(true)
                            .description("Run the anonymization after writing the rules and wait for it; a failed "
                                    + "run is an error showing Arbor's message.").build(),
                    Attribute.string("anonymized_status").computed()
                            .description("The branch's anonymization state: `initialized` (never run), "
                                    + "`anonymizing`, `anonymized` or `error`.").build()));

    @Override
    public String typeName() {
        return "arbor_masking_rules";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public List<Diag> validate(Map<String, Object> config) {
        List<Diag> diags = new ArrayList<>();
        if (!(config.get("rules") instanceof List<?> rules)) {
            return diags;
        }
        if (rules.isEmpty()) {
            // An anonymization without rules would copy every row as it is.
            diags.add(Diag.attributeError("rules", "No masking rules",
                    "\"rules\" needs at least one rule; destroy the resource to clear a branch's rules."));
        }
        for (int i = 0; i < rules.size(); i++) {
            if (!(rules.get(i) instanceof Map<?, ?> rule) || Values.containsUnknown(rule)) {
                continue;
            }
            if ((rule.get("masking_function") == null) == (rule.get("masking_value") == null)) {
                diags.add(Diag.pathError(List.of("rules", "[" + i + "]"), "Invalid masking rule",
                        "rules[" + i + "] needs exactly one of \"masking_function\" and \"masking_value\"."));
            }
            for (String f : List.of("database_name", "schema_name", "table_name", "column_name")) {
                if (rule.get(f) instanceof String s && s.isEmpty()) {
                    diags.add(Diag.pathError(List.of("rules", "[" + i + "]", f), "Invalid masking rule",
                            "rules[" + i + "]." + f + " must not be empty."));
                }
            }
        }
        return diags;
    }

    @Override
    public void modifyPlan(Map<String, Object> prior, Map<String, Object> config, Map<String, Object> planned) {
        if (planned.get("id") == Unknown.VALUE || planned.get("id") == null) {
            Object p = planned.get("project_id");
            Object b = planned.get("branch_id");
            planned.put("id", p instanceof String ps && b instanceof String bs ? ps + "/" + bs : Unknown.VALUE);
        }
        boolean start = !Boolean.FALSE.equals(planned.get("start_anonymization"));
        if (start && (prior == null || runs(prior, planned))) {
            planned.put("anonymized_status", Unknown.VALUE);
        }
    }

    /** An update reruns the job when the rules changed, or when it was off or did not end anonymized. */
    private static boolean runs(Map<String, Object> prior, Map<String, Object> planned) {
        return !Values.equal(prior.get("rules"), planned.get("rules"))
                || !Boolean.TRUE.equals(prior.get("start_anonymization"))
                || !"anonymized".equals(prior.get("anonymized_status"));
    }

    @Override
    public Map<String, Object> create(ArborApi api, Map<String, Object> p) {
        String projectId = str(p, "project_id");
        String branchId = str(p, "branch_id");
        writeRules(api, projectId, branchId, p.get("rules"));
        Map<String, Object> state = new LinkedHashMap<>(p);
        state.put("id", projectId + "/" + branchId);
        return PartialCreate.guard(state, () -> {
            if (!Boolean.FALSE.equals(p.get("start_anonymization"))) {
                anonymize(api, projectId, branchId);
            }
            return State.readBack(read(api, state), "masking rules of branch " + branchId);
        });
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> state) {
        String projectId = str(state, "project_id");
        String branchId = str(state, "branch_id");
        String base = "/projects/" + enc(projectId) + "/branches/" + enc(branchId);
        Map<String, Object> resp = State.orNullIfGone(() -> api.get(base + "/masking_rules"));
        if (resp == null) {
            return null;
        }
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> r : State.list(resp, "masking_rules")) {
            Map<String, Object> rule = new LinkedHashMap<>();
            RULE_FIELDS.forEach(f -> rule.put(f, str(r, f)));
            rules.add(rule);
        }
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("id", projectId + "/" + branchId);
        out.put("project_id", projectId);
        out.put("branch_id", branchId);
        out.put("rules", rules);
        Boolean start = State.bool(state, "start_anonymization");
        out.put("start_anonymization", start == null ? Boolean.TRUE : start);
        out.put("anonymized_status", status(api, projectId, branchId).map(s -> str(s, "state")).orElse(null));
        return out;
    }

    @Override
    public Map<String, Object> update(ArborApi api, Map<String, Object> prior, Map<String, Object> p) {
        String projectId = str(prior, "project_id");
        String branchId = str(prior, "branch_id");
        if (!Values.equal(prior.get("rules"), p.get("rules"))) {
            writeRules(api, projectId, branchId, p.get("rules"));
        }
        if (!Boolean.FALSE.equals(p.get("start_anonymization")) && runs(prior, p)) {
            anonymize(api, projectId, branchId);
        }
        return State.readBack(read(api, p), "masking rules of branch " + branchId);
    }

    @Override
    public void delete(ArborApi api, Map<String, Object> state) {
        State.ignoreGone(() -> writeRules(api, str(state, "project_id"), str(state, "branch_id"), List.of()));
    }

    @Override
    public String importIdFormat() {
        return "<project_id>/<branch_id>";
    }

    @Override
    public Map<String, Object> importState(String id) {
        Map<String, Object> s = State.imported(SCHEMA, id, importIdFormat(), "project_id", "branch_id");
        s.put("id", id);
        return s;
    }

    /** PATCH (replace all); a 400 becomes a diagnostic on the rule (and field) Arbor names. */
    private static void writeRules(ArborApi api, String projectId, String branchId, Object rules) {
        List<Map<String, Object>> body = new ArrayList<>();
        if (rules instanceof List<?> l) {
            for (Object o : l) {
                Map<?, ?> r = (Map<?, ?>) o;
                Map<String, Object> rule = new LinkedHashMap<>();
                RULE_FIELDS.forEach(f -> {
                    if (r.get(f) != null) {
                        rule.put(f, r.get(f));
                    }
                });
                body.add(rule);
            }
        }
        try {
            api.patch("/projects/" + enc(projectId) + "/branches/" + enc(branchId) + "/masking_rules",
                    Map.of("masking_rules", body));
        } catch (ApiException e) {
            if (e.status() == 400) {
                throw new ProviderError(Diag.pathError(rulePath(e.getMessage()), "Invalid masking rules",
                        e.getMessage()));
            }
            throw e;
        }
    }

    /** {@code masking_rules[2].column_name ...} in Arbor's message becomes the path rules[2].column_name. */
    static List<String> rulePath(String message) {
        Matcher m = RULE_INDEX.matcher(message == null ? "" : message);
        if (!m.find()) {
            return List.of("rules");
        }
        List<String> path = new ArrayList<>(List.of("rules", "[" + m.group(1) + "]"));
        if (RULE_FIELDS.contains(m.group(2))) {
            path.add(m.group(2));
        }
        return path;
    }

    /** POST anonymize and wait for its operations; a failed job becomes an error with the job's message. */
    private static void anonymize(ArborApi api, String projectId, String branchId) {
        String base = "/projects/" + enc(projectId) + "/branches/" + enc(branchId);
        try {
            api.mutate("POST", projectId, base + "/anonymize", null);
        } catch (ApiException e) {
            if (e.status() == 400) {
                throw new ProviderError(Diag.attributeError("branch_id", "Cannot anonymize this branch",
                        e.getMessage() + " (create the branch with arbor_branch's anonymized = true)"));
            }
            if (!"OPERATION_FAILED".equals(e.code())) {
                throw e;
            }
        }
        Map<String, Object> s = status(api, projectId, branchId).orElse(Map.of());
        if (!"anonymized".equals(str(s, "state"))) {
            String msg = str(s, "status_message");
            throw new ProviderError(Diag.attributeError("rules", "Anonymization failed",
                    "The anonymization of branch " + branchId + " ended in state " + str(s, "state")
                            + (msg == null ? "" : ": " + msg)));
        }
    }

    private static java.util.Optional<Map<String, Object>> status(ArborApi api, String projectId, String branchId) {
        try {
            return java.util.Optional.ofNullable(api.get("/projects/" + enc(projectId) + "/branches/" + enc(branchId)
                    + "/anonymized_status"));
        } catch (ApiException e) {
            if (e.notFound() || e.status() == 400) {
                return java.util.Optional.empty(); // gone, or not an anonymized branch
            }
            throw e;
        }
    }
}
