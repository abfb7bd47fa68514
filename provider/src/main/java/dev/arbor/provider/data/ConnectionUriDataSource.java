package dev.arbor.provider.data;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.resource.State;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code arbor_connection_uri}: a ready-to-use {@code postgresql://} URI for a role and database. */
public final class ConnectionUriDataSource implements DataSource {
    static final Schema SCHEMA = new Schema(0,
            "Builds a PostgreSQL connection URI (with the role's password) for a branch's database.", List.of(
            Attribute.string("project_id").required().description("ID of the project.").build(),
            Attribute.string("branch_id").optional()
                    .description("ID of the branch. Defaults to the project's default branch.").build(),
            Attribute.string("endpoint_id").optional()
                    .description("ID of the endpoint to connect through. Defaults to the branch's read-write endpoint.")
                    .build(),
            Attribute.string("role_name").required().description("Role to connect as.").build(),
            Attribute.string("database_name").required().description("Database to connect to.").build(),
            Attribute.bool("pooled").optional().description("Connect through the connection pooler.").build(),
            Attribute.string("id").computed()
                    .description("`<project_id>/<branch_id>/<role_name>/<database_name>`.").build(),
            Attribute.string("uri").computed().sensitive()
                    .description("The connection URI, including the password.").build()));

    @Override
    public String typeName() {
        return "arbor_connection_uri";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> config) {
        List<String> q = new ArrayList<>();
        q.add("role_name=" + enc(str(config, "role_name")));
        q.add("database_name=" + enc(str(config, "database_name")));
        if (str(config, "branch_id") != null) {
            q.add("branch_id=" + enc(str(config, "branch_id")));
        }
        if (str(config, "endpoint_id") != null) {
            q.add("endpoint_id=" + enc(str(config, "endpoint_id")));
        }
        if (Boolean.TRUE.equals(config.get("pooled"))) {
            q.add("pooled=true");
        }
        String projectId = str(config, "project_id");
        Map<String, Object> resp = api.get("/projects/" + enc(projectId) + "/connection_uri?" + String.join("&", q));
        Map<String, Object> out = State.empty(SCHEMA);
        for (String k : List.of("project_id", "branch_id", "endpoint_id", "role_name", "database_name", "pooled")) {
            out.put(k, config.get(k));
        }
        out.put("id", projectId + "/" + (str(config, "branch_id") == null ? "default" : str(config, "branch_id"))
                + "/" + str(config, "role_name") + "/" + str(config, "database_name"));
        out.put("uri", str(resp, "uri"));
        return out;
    }
}
