package dev.arbor.backend.api;

import dev.arbor.backend.meta.MaskingRules;
import dev.arbor.backend.meta.MaskingRules.Rule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code …/branches/{id}/masking_rules}: GET and PATCH (replace all). The rules are stored here; the
 * anonymization job ({@code dev.arbor.backend.anon}) reads them.
 */
public final class MaskingRulesApi implements Consumer<Routes> {
    private static final String BASE = "/projects/:project_id/branches/:branch_id/masking_rules";
    private static final int MAX_RULES = 1000;
    private final Control ctl;

    public MaskingRulesApi(Control ctl) { this.ctl = ctl; }

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
        List<Rule> rules = parse(in, "masking_rules");
        return ctl.db().tx(c -> {
            Control.lockProject(c, projectId);
            Control.branch(c, projectId, branchId);
            MaskingRules.replace(c, branchId, rules);
            return Reply.ok(new JsonObject().put("masking_rules", Views.array(rules, MaskingRulesApi::json)));
        });
    }
}
