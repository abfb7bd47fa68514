package dev.arbor.provider.resource;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.obj;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.schema.Validator;
import dev.arbor.provider.value.Unknown;
import dev.arbor.provider.value.Values;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code arbor_database}: a PostgreSQL database on one branch, owned by a role. */
public final class DatabaseResource implements ManagedResource {
    static final Schema SCHEMA = new Schema(0,
            "A PostgreSQL database on a branch.",
            List.of(
                    Attribute.string("id").computed()
                            .description("`<project_id>/<branch_id>/<name>`.").build(),
                    Attribute.string("project_id").required().forceNew().description("ID of the project.").build(),
                    Attribute.string("branch_id").required().forceNew().description("ID of the branch.").build(),
                    Attribute.string("name").required()
                            .description("The database name. Renamed in place.")
                            .validate(Validator.length(1, 63)).build(),
                    Attribute.string("owner_name").required()
                            .description("Name of the role that owns the database. Changed in place.")
                            .validate(Validator.length(1, 63)).build()));

    @Override
    public String typeName() {
        return "arbor_database";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    private static String base(Map<String, Object> s) {
        return "/projects/" + enc(str(s, "project_id")) + "/branches/" + enc(str(s, "branch_id")) + "/databases";
    }

    @Override
    public void modifyPlan(Map<String, Object> prior, Map<String, Object> config, Map<String, Object> planned) {
        if (prior != null && !Values.equal(prior.get("name"), planned.get("name"))) {
            planned.put("id", Unknown.VALUE);
        }
    }

    @Override
    public Map<String, Object> create(ArborApi api, Map<String, Object> p) {
        Map<String, Object> resp = api.post(base(p),
                Map.of("database", Map.of("name", str(p, "name"), "owner_name", str(p, "owner_name"))));
        Map<String, Object> partial = new LinkedHashMap<>(p);
        partial.put("id", p.get("project_id") + "/" + p.get("branch_id") + "/" + p.get("name"));
        return PartialCreate.guard(partial, () -> {
            api.awaitOperations(str(p, "project_id"), resp);
            Map<String, Object> fresh = read(api, p);
            if (fresh == null) {
                throw new IllegalStateException("database " + p.get("name") + " vanished right after it was created");
            }
            return fresh;
        });
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> state) {
        Map<String, Object> resp = State.orNullIfGone(() -> api.get(base(state) + "/" + enc(str(state, "name"))));
        if (resp == null) {
            return null;
        }
        Map<String, Object> db = obj(resp, "database");
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("project_id", state.get("project_id"));
        out.put("branch_id", state.get("branch_id"));
        out.put("name", str(db, "name"));
        out.put("owner_name", str(db, "owner_name"));
        out.put("id", state.get("project_id") + "/" + state.get("branch_id") + "/" + str(db, "name"));
        return out;
    }

    @Override
    public Map<String, Object> update(ArborApi api, Map<String, Object> prior, Map<String, Object> p) {
        Map<String, Object> db = new LinkedHashMap<>();
        if (!Values.equal(prior.get("name"), p.get("name"))) {
            db.put("name", p.get("name"));
        }
        if (!Values.equal(prior.get("owner_name"), p.get("owner_name"))) {
            db.put("owner_name", p.get("owner_name"));
        }
        if (!db.isEmpty()) {
            api.mutate("PATCH", str(prior, "project_id"), base(prior) + "/" + enc(str(prior, "name")),
                    Map.of("database", db));
        }
        return State.readBack(read(api, p), "database " + p.get("name"));
    }

    @Override
    public void delete(ArborApi api, Map<String, Object> state) {
        State.ignoreGone(() -> api.mutate("DELETE", str(state, "project_id"),
                base(state) + "/" + enc(str(state, "name")), null));
    }

    @Override
    public String importIdFormat() {
        return "<project_id>/<branch_id>/<database_name>";
    }

    @Override
    public Map<String, Object> importState(String id) {
        Map<String, Object> s = State.imported(SCHEMA, id, importIdFormat(), "project_id", "branch_id", "name");
        s.put("id", id);
        return s;
    }
}
