package dev.arbor.provider.data;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.list;
import static dev.arbor.provider.resource.State.num;
import static dev.arbor.provider.resource.State.obj;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.resource.State;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.tf.ProviderError;
import java.util.List;
import java.util.Map;

/** {@code arbor_project} data source: looks a project up by id. */
public final class ProjectDataSource implements DataSource {
    static final Schema SCHEMA = new Schema(0, "Reads an existing project.", List.of(
            Attribute.string("id").required().description("The project ID.").build(),
            Attribute.string("name").computed().description("The project name.").build(),
            Attribute.number("pg_version").computed().description("The major PostgreSQL version.").build(),
            Attribute.number("history_retention_seconds").computed()
                    .description("History kept for point-in-time branching, in seconds.").build(),
            Attribute.string("default_branch_id").computed().description("ID of the default branch.").build(),
            Attribute.string("created_at").computed().description("Creation time (RFC 3339).").build()));

    @Override
    public String typeName() {
        return "arbor_project";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> config) {
        String id = str(config, "id");
        Map<String, Object> project;
        try {
            project = obj(api.get("/projects/" + enc(id)), "project");
        } catch (ApiException e) {
            if (e.notFound()) {
                throw new ProviderError(Diag.attributeError("id", "Project not found",
                        "No project with ID \"" + id + "\" exists."));
            }
            throw e;
        }
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("id", id);
        out.put("name", str(project, "name"));
        out.put("pg_version", num(project, "pg_version"));
        out.put("history_retention_seconds", num(project, "history_retention_seconds"));
        out.put("created_at", str(project, "created_at"));
        out.put("default_branch_id", list(api.get("/projects/" + enc(id) + "/branches"), "branches").stream()
                .filter(b -> Boolean.TRUE.equals(State.bool(b, "default")) || Boolean.TRUE.equals(State.bool(b, "primary")))
                .map(b -> str(b, "id")).findFirst().orElse(null));
        return out;
    }
}
