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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code arbor_branch} data source: one branch, by id or by name. */
public final class BranchDataSource implements DataSource {
    static final Schema SCHEMA = new Schema(0, "Reads one branch of a project, by `id` or by `name`.", List.of(
            Attribute.string("project_id").required().description("ID of the project.").build(),
            Attribute.string("id").optionalComputed().description("The branch ID. Set exactly one of `id` and `name`.").build(),
            Attribute.string("name").optionalComputed().description("The branch name. Set exactly one of `id` and `name`.").build(),
            Attribute.string("parent_id").computed().description("ID of the parent branch.").build(),
            Attribute.string("parent_lsn").computed().description("LSN of the branch point.").build(),
            Attribute.string("parent_timestamp").computed().description("Time of the branch point.").build(),
            Attribute.bool("schema_only").computed().description("Whether only the schema was copied.").build(),
            Attribute.bool("protected").computed().description("Whether the branch is protected.").build(),
            Attribute.string("expires_at").computed().description("When the branch expires, if ever.").build(),
            Attribute.bool("default").computed().description("Whether this is the default branch.").build(),
            Attribute.number("logical_size").computed().description("Logical data size in bytes.").build(),
            Attribute.string("created_at").computed().description("Creation time (RFC 3339).").build()));

    @Override
    public String typeName() {
        return "arbor_branch";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public List<Diag> validate(Map<String, Object> config) {
        List<Diag> d = new ArrayList<>();
        if (config.get("id") == null && config.get("name") == null) {
            d.add(Diag.attributeError("name", "Missing branch selector", "Set either \"id\" or \"name\"."));
        } else if (config.get("id") != null && config.get("name") != null) {
            d.add(Diag.attributeError("name", "Conflicting attributes", "Set either \"id\" or \"name\", not both."));
        }
        return d;
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> config) {
        String projectId = str(config, "project_id");
        Map<String, Object> branch;
        if (str(config, "id") != null) {
            String id = str(config, "id");
            try {
                branch = obj(api.get("/projects/" + enc(projectId) + "/branches/" + enc(id)), "branch");
            } catch (ApiException e) {
                if (e.notFound()) {
                    throw new ProviderError(Diag.attributeError("id", "Branch not found",
                            "No branch with ID \"" + id + "\" in project \"" + projectId + "\"."));
                }
                throw e;
            }
        } else {
            String name = str(config, "name");
            branch = list(api.get("/projects/" + enc(projectId) + "/branches"), "branches").stream()
                    .filter(b -> name.equals(str(b, "name"))).findFirst()
                    .orElseThrow(() -> new ProviderError(Diag.attributeError("name", "Branch not found",
                            "No branch named \"" + name + "\" in project \"" + projectId + "\".")));
        }
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("project_id", projectId);
        out.put("id", str(branch, "id"));
        out.put("name", str(branch, "name"));
        out.put("parent_id", str(branch, "parent_id"));
        out.put("parent_lsn", str(branch, "parent_lsn"));
        out.put("parent_timestamp", str(branch, "parent_timestamp"));
        out.put("schema_only", "schema-only".equals(str(branch, "init_source")));
        out.put("protected", Boolean.TRUE.equals(State.bool(branch, "protected")));
        out.put("expires_at", str(branch, "expires_at"));
        out.put("default", Boolean.TRUE.equals(State.bool(branch, "default")) || Boolean.TRUE.equals(State.bool(branch, "primary")));
        out.put("logical_size", num(branch, "logical_size"));
        out.put("created_at", str(branch, "created_at"));
        return out;
    }
}
