package dev.arbor.backend.api;

import dev.arbor.backend.anon.MaskingException;
import dev.arbor.backend.anon.MaskingRule;
import dev.arbor.backend.meta.AnonymizedBranches;
import dev.arbor.backend.meta.MaskingRules;
import dev.arbor.backend.meta.MaskingRules.Rule;
import dev.arbor.backend.ops.MaskingRulesCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code …/branches/{id}/masking_rules}: GET and PATCH (replace all). Rules belong to anonymized branches
 * only: PATCH on any other branch is a 400, GET on one answers an empty list (it has no rules). A PATCH is
 * checked against the live schema of the branch's source (see {@link MaskingRulesCheck}) before anything is
 * stored; the anonymization job ({@code dev.arbor.backend.anon}) reads the stored rules.
 */
public final class MaskingRulesApi implements Consumer<Routes> {
    private static final String BASE = "/projects/:project_id/branches/:branch_id/masking_rules";
    private static final int MAX_RULES = 1000;
    private final Control ctl;
    private final MaskingRulesCheck check;

    public MaskingRulesApi(Control ctl, MaskingRulesCheck check) {
        this.ctl = ctl;
        this.check = check;
    }

    @Override
    public void accept(Routes r) {
        r.get(BASE, this::get);
        r.patch(BASE, this::replace);
    }

    static JsonObject json(Rule r) {
        JsonObject o = new JsonObject().put("database_name", r.databaseName()).put("schema_name", r.schemaName())
                .put("table_name", r.tableName()).put("column_name", r.columnName());
        if (r.maskingFunction() != null) o.put("masking_function", r.maskingFunction());
        if (r.maskingValue() != null) o.put("masking_value", r.maskingValue());
        return o;
    }

    /** Validates a {@code masking_rules} array (shape only; the anonymizer checks functions against the schema). */
    static List<Rule> parse(JsonArray in, String where) {
        if (in.size() > MAX_RULES) throw ApiException.badRequest(where + " has more than " + MAX_RULES + " rules");
        List<Rule> out = new ArrayList<>();
        Set<String> columns = new HashSet<>();
        for (int i = 0; i < in.size(); i++) {
            String w = where + "[" + i + "]";
            if (!(in.getValue(i) instanceof JsonObject o)) throw ApiException.badRequest(w + " must be an object");
            String db = name(o, "database_name", w);
            String schema = name(o, "schema_name", w);
            String table = name(o, "table_name", w);
            String column = name(o, "column_name", w);
            String fn = Req.str(o, "masking_function", w + ".masking_function").orElse(null);
            String value = Req.str(o, "masking_value", w + ".masking_value").orElse(null);
            // JSON null is Neon's "masking_value": null, i.e. the SQL literal NULL
            if (value == null && fn == null && o.containsKey("masking_value") && o.getValue("masking_value") == null) value = "NULL";
            if ((fn == null) == (value == null)) throw ApiException.badRequest(w + " needs exactly one of masking_function and masking_value");
            if (fn != null && (fn.isBlank() || fn.length() > 1000 || fn.contains(";"))) {
                throw ApiException.badRequest(w + ".masking_function must be one function call, e.g. anon.fake_email()");
            }
            if (value != null && value.length() > 10_000) throw ApiException.badRequest(w + ".masking_value is too long");
            if (!columns.add(db + "." + schema + "." + table + "." + column)) {
                throw ApiException.badRequest(w + " masks " + db + "." + schema + "." + table + "." + column + " a second time");
            }
            out.add(new Rule(db, schema, table, column, fn, value));
        }
        return out;
    }

    private static String name(JsonObject o, String field, String where) {
        String v = Req.requiredStr(o, field, where + "." + field);
        if (v.isEmpty() || v.length() > 63 || v.chars().anyMatch(ch -> ch == '"' || ch == 0 || Character.isISOControl(ch))) {
            throw ApiException.badRequest(where + "." + field + " must be a PostgreSQL identifier (1-63 characters, no quotes)");
        }
        return v;
    }

    private Reply get(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            Control.branch(c, projectId, branchId);
            return Reply.ok(new JsonObject().put("masking_rules", Views.array(MaskingRules.get(c, branchId), MaskingRulesApi::json)));
        });
    }

    private Reply replace(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        JsonArray in = Req.arr(req.body(), "masking_rules", "masking_rules")
                .orElseThrow(() -> ApiException.badRequest("masking_rules is required"));
        List<Rule> rules = AnonymizedBranchesApi.parseRules(in, "masking_rules");
        String source = ctl.db().tx(c -> {
            Control.project(c, projectId);
            Control.branch(c, projectId, branchId);
            return anonymizedSource(c, branchId);
        });
        checkLive(check, projectId, source, rules);
        return ctl.db().tx(c -> {
            Control.lockProject(c, projectId);
            Control.branch(c, projectId, branchId);
            if (!anonymizedSource(c, branchId).equals(source)) throw ApiException.conflict("branch " + branchId + " changed meanwhile; retry");
            MaskingRules.replace(c, branchId, rules);
            return Reply.ok(new JsonObject().put("masking_rules", Views.array(rules, MaskingRulesApi::json)));
        });
    }

    private static String anonymizedSource(java.sql.Connection c, String branchId) throws java.sql.SQLException {
        return AnonymizedBranches.get(c, branchId).map(AnonymizedBranches.Anonymized::sourceBranchId).orElseThrow(() ->
                ApiException.badRequest("branch " + branchId + " is not an anonymized branch; masking rules apply only to anonymized"
                        + " branches (create one with POST /projects/{project_id}/branch_anonymized)"));
    }

    /**
     * 400 unless {@code rules} fit the live schema of {@code sourceBranchId} (503 without compute, 423 while the
     * source is still being created). Blocking: it reads the schema through a private endpoint.
     */
    static void checkLive(MaskingRulesCheck check, String projectId, String sourceBranchId, List<Rule> rules) {
        MaskingRulesCheck.Result r;
        try {
            r = check.check(projectId, sourceBranchId, rules.stream().map(MaskingRulesApi::toEngine).toList());
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            throw new ApiException(503, "SERVICE_UNAVAILABLE", "could not read the schema of source branch " + sourceBranchId
                    + " to check the masking rules: " + e.getMessage());
        }
        switch (r) {
            case MaskingRulesCheck.Result.Valid v -> { }
            case MaskingRulesCheck.Result.Invalid i -> throw ApiException.badRequest("invalid masking rules: " + describe(i.problems(), rules));
            case MaskingRulesCheck.Result.NoCompute n -> throw new ApiException(503, "SERVICE_UNAVAILABLE", n.message());
            case MaskingRulesCheck.Result.NotReady n -> throw ApiException.locked(n.message());
        }
    }

    /**
     * One line per problem, each led by the rule's path ({@code masking_rules[2].column_name: ...}) so that
     * clients such as the Terraform provider can point at the attribute.
     */
    static String describe(List<MaskingException.Problem> problems, List<Rule> rules) {
        List<String> out = new ArrayList<>();
        for (MaskingException.Problem p : problems) {
            int index = -1;
            for (int i = 0; i < rules.size(); i++) {
                if (p.message().startsWith("masking rule for " + toEngine(rules.get(i)).qualifiedColumn() + ":")) index = i;
            }
            if (index < 0) {
                out.add(p.message());
                continue;
            }
            Rule r = rules.get(index);
            String m = p.message();
            String field = switch (p.kind()) {
                case UNKNOWN_OBJECT -> m.contains(": database ") ? "database_name" : m.contains(": schema ") ? "schema_name"
                        : m.contains(": table ") ? "table_name" : "column_name";
                case INVALID_RULE -> m.contains("generated column") ? "column_name" : m.contains("exactly one") ? ""
                        : r.maskingFunction() != null ? "masking_function" : "masking_value";
                default -> r.maskingFunction() != null ? "masking_function" : "masking_value";
            };
            out.add("masking_rules[" + index + "]" + (field.isEmpty() ? "" : "." + field) + ": " + m);
        }
        return String.join("; ", out);
    }

    static MaskingRule toEngine(Rule r) {
        return new MaskingRule(r.databaseName(), r.schemaName(), r.tableName(), r.columnName(), r.maskingFunction(), r.maskingValue());
    }
}
