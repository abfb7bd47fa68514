package dev.arbor.backend.api;

import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Operations;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/** {@code /projects/{id}/operations}: list (newest first, cursor-paginated) and get. */
public final class OperationsApi implements Consumer<Routes> {
    private final Control ctl;

    public OperationsApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.get("/projects/:project_id/operations", this::list);
        r.get("/projects/:project_id/operations/:operation_id", this::get);
    }

    private static UUID uuid(String s, String where) {
        try {
            UUID u = UUID.fromString(s);
            if (!u.toString().equals(s.toLowerCase())) throw new IllegalArgumentException();
            return u;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + " must be a UUID, got " + Req.quote(s));
        }
    }

    private Reply list(Req req) {
        String projectId = req.project();
        int limit = req.queryInt("limit", 10, 1, 1000);
        Optional<UUID> cursor = req.query("cursor").map(s -> uuid(s, "cursor"));
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            List<Operation> page = Operations.page(c, projectId, cursor, limit);
            JsonObject out = new JsonObject().put("operations", Views.array(page, ctl.views()::operation));
            out.put("pagination", new JsonObject().put("cursor", page.isEmpty() ? cursor.map(UUID::toString).orElse("") : page.getLast().id().toString()));
            return Reply.ok(out);
        });
    }

    private Reply get(Req req) {
        String projectId = req.project();
        UUID id = uuid(req.pathName("operation_id"), "operation_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            Operation op = Operations.get(c, id).filter(o -> o.projectId().equals(projectId))
                    .orElseThrow(() -> ApiException.notFound("operation " + id + " not found in project " + projectId));
            return Reply.ok(new JsonObject().put("operation", ctl.views().operation(op)));
        });
    }
}
