package dev.arbor.provider.data;

import static dev.arbor.provider.client.ArborApi.enc;
import static dev.arbor.provider.resource.State.list;
import static dev.arbor.provider.resource.State.num;
import static dev.arbor.provider.resource.State.str;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.resource.State;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.value.TfType;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code arbor_branches}: every branch of a project, ordered by creation time then id. */
public final class BranchesDataSource implements DataSource {
    static final TfType.ObjectOf BRANCH = new TfType.ObjectOf(orderedTypes());

    private static Map<String, TfType> orderedTypes() {
        Map<String, TfType> m = new LinkedHashMap<>();
        m.put("id", TfType.STRING);
        m.put("name", TfType.STRING);
        m.put("parent_id", TfType.STRING);
        m.put("protected", TfType.BOOL);
        m.put("default", TfType.BOOL);
        m.put("expires_at", TfType.STRING);
        m.put("logical_size", TfType.NUMBER);
        m.put("created_at", TfType.STRING);
        return m;
    }

    static final Schema SCHEMA = new Schema(0, "Lists the branches of a project, oldest first.", List.of(
            Attribute.string("project_id").required().description("ID of the project.").build(),
            Attribute.string("id").computed().description("Same as `project_id`.").build(),
            Attribute.of("branches", new TfType.ListOf(BRANCH)).computed()
                    .description("The branches: `id`, `name`, `parent_id`, `protected`, `default`, `expires_at`, "
                            + "`logical_size`, `created_at`.").build()));

    @Override
    public String typeName() {
        return "arbor_branches";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public Map<String, Object> read(ArborApi api, Map<String, Object> config) {
        String projectId = str(config, "project_id");
        List<Object> branches = list(api.get("/projects/" + enc(projectId) + "/branches"), "branches").stream()
                .sorted(Comparator.comparing((Map<String, Object> b) -> String.valueOf(str(b, "created_at")))
                        .thenComparing(b -> String.valueOf(str(b, "id"))))
                .map(b -> {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("id", str(b, "id"));
                    o.put("name", str(b, "name"));
                    o.put("parent_id", str(b, "parent_id"));
                    o.put("protected", Boolean.TRUE.equals(State.bool(b, "protected")));
                    o.put("default", Boolean.TRUE.equals(State.bool(b, "default")) || Boolean.TRUE.equals(State.bool(b, "primary")));
                    o.put("expires_at", str(b, "expires_at"));
                    o.put("logical_size", num(b, "logical_size"));
                    o.put("created_at", str(b, "created_at"));
                    return (Object) o;
                }).toList();
        Map<String, Object> out = State.empty(SCHEMA);
        out.put("project_id", projectId);
        out.put("id", projectId);
        out.put("branches", branches);
        return out;
    }
}
