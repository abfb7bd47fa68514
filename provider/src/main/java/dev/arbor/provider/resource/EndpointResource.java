package dev.arbor.provider.resource;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.ProjectResource.putIfSet;
import static dev.arbor.provider.resource.State.num;
import static dev.arbor.provider.resource.State.obj;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.schema.Validator;
import dev.arbor.provider.value.Values;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code arbor_endpoint}: a PostgreSQL compute serving one branch, suspended when idle. */
public final class EndpointResource implements ManagedResource {
    static final Schema SCHEMA = new Schema(0,
            "An endpoint: a PostgreSQL server for one branch. A branch has at most one `read_write` endpoint and "
                    + "any number of `read_only` ones. Idle endpoints suspend and wake on the next connection.",
            List.of(
                    Attribute.string("id").computed().description("The endpoint ID.").build(),
                    Attribute.string("project_id").required().forceNew()
                            .description("ID of the project.").build(),
                    Attribute.string("branch_id").required()
                            .description("ID of the branch the endpoint serves. Changing it moves the endpoint to "
                                    + "the other branch in place (a branch has at most one `read_write` endpoint).")
                            .build(),
                    Attribute.string("type").defaultValue("read_write").forceNew()
                            .description("Endpoint type.")
                            .validate(Validator.oneOf("read_write", "read_only")).build(),
                    Attribute.number("suspend_timeout_seconds").optionalComputed()
                            .description("Seconds of inactivity before the endpoint suspends; `-1` never suspends, "
                                    + "`0` uses the server default. Updated in place.")
                            .validate(Validator.range(-1, 604_800)).build(),
                    Attribute.string("host").computed()
                            .description("Host name clients connect to.").build(),
                    Attribute.number("port").computed()
                            .description("TCP port clients connect to (the Arbor proxy port).").build()));

    @Override
    public String typeName() {
        return "arbor_endpoint";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public Map<String, Object> create(ArborApi api, Map<String, Object> p) {
        String projectId = str(p, "project_id");
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("branch_id", str(p, "branch_id"));
        ep.put("type", str(p, "type"));
        putIfSet(ep, "suspend_timeout_seconds", p.get("suspend_timeout_seconds"));
        Map<String, Object> resp = api.post("/projects/" + enc(projectId) + "/endpoints", Map.of("endpoint", ep));
        Map<String, Object> state = new LinkedHashMap<>(p);
        state.put("id", str(obj(resp, "endpoint"), "id"));
        return PartialCreate.guard(state, () -> {
            api.awaitOperations(projectId, resp);
            Map<String, Object> fresh = read(api, state);
            if (fresh == null) {
                throw new IllegalStateException("endpoint " + state.get("id") + " vanished right after it was created");
            }
            return fresh;
        });
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> state) {
        String projectId = str(state, "project_id");
        String id = str(state, "id");
        Map<String, Object> resp = State.orNullIfGone(
                () -> api.get("/projects/" + enc(projectId) + "/endpoints/" + enc(id)));
        if (resp == null) {
            return null;
        }
        Map<String, Object> e = obj(resp, "endpoint");
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("id", str(e, "id"));
        out.put("project_id", str(e, "project_id") != null ? str(e, "project_id") : projectId);
        out.put("branch_id", str(e, "branch_id"));
        out.put("type", str(e, "type"));
        out.put("suspend_timeout_seconds", num(e, "suspend_timeout_seconds"));
        String host = str(e, "host");
        BigDecimal port = num(e, "port");
        if (host != null && port == null) {
            int colon = host.lastIndexOf(':');
            if (colon > 0 && host.substring(colon + 1).matches("\\d+")) {
                port = new BigDecimal(host.substring(colon + 1));
                host = host.substring(0, colon);
            }
        }
        if (port == null) {
            port = proxyPort(api, projectId, str(e, "branch_id"), id);
        }
        out.put("host", host);
        out.put("port", port);
        return out;
    }

    /**
     * Neon's endpoint object has no port; Arbor serves every endpoint through one proxy port, which the
     * connection URI carries. Null when the branch has no role or database to build a URI with.
     */
    static BigDecimal proxyPort(ArborApi api, String projectId, String branchId, String endpointId) {
        String base = "/projects/" + enc(projectId) + "/branches/" + enc(branchId);
        var roles = State.list(api.get(base + "/roles"), "roles");
        var dbs = State.list(api.get(base + "/databases"), "databases");
        if (roles.isEmpty() || dbs.isEmpty()) {
            return null;
        }
        String uri = str(api.get("/projects/" + enc(projectId) + "/connection_uri?branch_id=" + enc(branchId)
                + "&endpoint_id=" + enc(endpointId) + "&role_name=" + enc(str(roles.getFirst(), "name"))
                + "&database_name=" + enc(str(dbs.getFirst(), "name"))), "uri");
        if (uri == null) {
            return null;
        }
        int port = java.net.URI.create(uri).getPort();
        return BigDecimal.valueOf(port > 0 ? port : 5432);
    }

    @Override
    public Map<String, Object> update(ArborApi api, Map<String, Object> prior, Map<String, Object> p) {
        String projectId = str(prior, "project_id");
        String id = str(prior, "id");
        Map<String, Object> ep = new LinkedHashMap<>();
        if (!Values.equal(prior.get("suspend_timeout_seconds"), p.get("suspend_timeout_seconds"))) {
            putIfSet(ep, "suspend_timeout_seconds", p.get("suspend_timeout_seconds"));
        }
        if (!Values.equal(prior.get("branch_id"), p.get("branch_id"))) {
            ep.put("branch_id", p.get("branch_id"));
        }
        if (!ep.isEmpty()) {
            api.mutate("PATCH", projectId, "/projects/" + enc(projectId) + "/endpoints/" + enc(id),
                    Map.of("endpoint", ep));
        }
        return State.readBack(read(api, p), "endpoint " + id);
    }

    @Override
    public void delete(ArborApi api, Map<String, Object> state) {
        String projectId = str(state, "project_id");
        String id = str(state, "id");
        State.ignoreGone(() -> api.mutate("DELETE", projectId,
                "/projects/" + enc(projectId) + "/endpoints/" + enc(id), null));
    }

    @Override
    public String importIdFormat() {
        return "<project_id>/<endpoint_id>";
    }

    @Override
    public Map<String, Object> importState(String id) {
        return State.imported(SCHEMA, id, importIdFormat(), "project_id", "id");
    }
}
