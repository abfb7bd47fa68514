package dev.arbor.provider.resource;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.obj;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.schema.Validator;
import java.util.List;
import java.util.Map;

/** {@code arbor_role}: a PostgreSQL login role on one branch, with a generated password. */
public final class RoleResource implements ManagedResource {
    static final Schema SCHEMA = new Schema(0,
            "A PostgreSQL role on a branch. Arbor generates its password; read it from `password` or build a "
                    + "connection string with the `arbor_connection_uri` data source.",
            List.of(
                    Attribute.string("id").computed()
                            .description("`<project_id>/<branch_id>/<name>`.").build(),
                    Attribute.string("project_id").required().forceNew().description("ID of the project.").build(),
                    Attribute.string("branch_id").required().forceNew().description("ID of the branch.").build(),
                    Attribute.string("name").required().forceNew()
                            .description("The role name.")
                            .validate(Validator.length(1, 63)).build(),
                    Attribute.string("password").computed().sensitive()
                            .description("The role's password.").build()));

    @Override
    public String typeName() {
        return "arbor_role";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    private static String base(Map<String, Object> s) {
        return "/projects/" + enc(str(s, "project_id")) + "/branches/" + enc(str(s, "branch_id")) + "/roles";
    }

    @Override
    public Map<String, Object> create(ArborApi api, Map<String, Object> p) {
        Map<String, Object> resp = api.post(base(p), Map.of("role", Map.of("name", str(p, "name"))));
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("project_id", p.get("project_id"));
        out.put("branch_id", p.get("branch_id"));
        out.put("name", p.get("name"));
        out.put("id", p.get("project_id") + "/" + p.get("branch_id") + "/" + p.get("name"));
        out.put("password", str(obj(resp, "role"), "password"));
        return PartialCreate.guard(out, () -> {
            api.awaitOperations(str(p, "project_id"), resp);
            if (out.get("password") == null) {
                out.put("password", revealPassword(api, out));
            }
            return out;
        });
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> state) {
        Map<String, Object> resp = State.orNullIfGone(() -> api.get(base(state) + "/" + enc(str(state, "name"))));
        if (resp == null) {
            return null;
        }
        Map<String, Object> role = obj(resp, "role");
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("project_id", state.get("project_id"));
        out.put("branch_id", state.get("branch_id"));
        out.put("name", str(role, "name"));
        out.put("id", state.get("project_id") + "/" + state.get("branch_id") + "/" + str(role, "name"));
        // The list/get API never returns the password; reveal it only when state lacks it (import).
        out.put("password", state.get("password") != null ? state.get("password") : revealPassword(api, out));
        return out;
    }

    private static String revealPassword(ArborApi api, Map<String, Object> s) {
        try {
            return str(api.get(base(s) + "/" + enc(str(s, "name")) + "/reveal_password"), "password");
        } catch (ApiException e) {
            if (e.status() == 404 || e.status() == 412) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public Map<String, Object> update(ArborApi api, Map<String, Object> prior, Map<String, Object> planned) {
        // Every configurable attribute forces replacement; nothing to send.
        return State.readBack(read(api, prior), "role " + prior.get("id"));
    }

    @Override
    public void delete(ArborApi api, Map<String, Object> state) {
        State.ignoreGone(() -> api.mutate("DELETE", str(state, "project_id"),
                base(state) + "/" + enc(str(state, "name")), null));
    }

    @Override
    public String importIdFormat() {
        return "<project_id>/<branch_id>/<role_name>";
    }

    @Override
    public Map<String, Object> importState(String id) {
        Map<String, Object> s = State.imported(SCHEMA, id, importIdFormat(), "project_id", "branch_id", "name");
        s.put("id", id);
        return s;
    }
}
