package dev.arbor.backend.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** One CLI invocation's view of the API: the client, the project, and where output and progress go. */
final class Session {
    final ApiClient api;
    final PrintWriter out;
    final PrintWriter err;
    final boolean json;
    private final String projectOption;
    private String project;

    Session(ClientOptions o, PrintWriter out, PrintWriter err) {
        this.json = o.json();
        this.api = new ApiClient(o.apiUrl, o.key());
        this.out = out;
        this.err = err;
        this.projectOption = o.projectId;
    }

    /** --project-id, or the single project the key can see. */
    String project() {
        if (project != null) return project;
        if (projectOption != null && !projectOption.isBlank()) return project = projectOption;
        JsonArray ps = api.get("/projects?limit=2").getJsonArray("projects", new JsonArray());
        if (ps.isEmpty()) throw new CliError(CliError.USAGE, "there is no project yet; create one (POST /projects) first");
        if (ps.size() > 1) throw new CliError(CliError.USAGE, "the key sees several projects; choose one with --project-id");
        return project = ps.getJsonObject(0).getString("id");
    }

    String projectPath() { return "/projects/" + project(); }

    List<JsonObject> branches() {
        JsonArray a = api.get(projectPath() + "/branches").getJsonArray("branches", new JsonArray());
        List<JsonObject> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) out.add(a.getJsonObject(i));
        return out;
    }

    /** A branch by id or name; without one, the default branch. */
    JsonObject branch(String idOrName) {
        List<JsonObject> all = branches();
        if (idOrName == null) {
            return all.stream().filter(b -> b.getBoolean("default", false)).findFirst()
                    .orElseThrow(() -> new CliError(CliError.USAGE, "the project has no default branch; name one"));
        }
        return all.stream().filter(b -> idOrName.equals(b.getString("id"))).findFirst()
                .or(() -> all.stream().filter(b -> idOrName.equals(b.getString("name"))).findFirst())
                .orElseThrow(() -> new CliError(CliError.USAGE, "branch " + idOrName + " not found in project " + project()));
    }

    String branchName(List<JsonObject> all, String id) {
        if (id == null) return "";
        return all.stream().filter(b -> id.equals(b.getString("id"))).map(b -> b.getString("name")).findFirst().orElse(id);
    }

    /** Waits for the operations an answer started, with a progress bar. */
    void await(JsonObject answer) {
        new OperationWatcher(this).await(answer.getJsonArray("operations", new JsonArray()));
    }

    void printJson(Object o) {
        out.println(o instanceof JsonObject j ? j.encodePrettily() : ((JsonArray) o).encodePrettily());
        out.flush();
    }
}
