package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.OperationAction;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Function;

/** What a branch's roles and databases share: routes keyed by name under the branch, lookup, delete, apply_config. */
final class BranchObjects {
    private BranchObjects() {}

    /** The path of one named object: {@code /projects/{projectId}/branches/{branchId}/<kind>/{name}}. */
    record Key(String projectId, String branchId, String name) {
        static Key of(Req req, String param) {
            return new Key(req.project(), req.id("branch_id"), req.pathName(param));
        }
    }

    /** Reads one named object of a branch ({@code Roles::get}, {@code Databases::get}). */
    @FunctionalInterface
    interface Lookup<T> {
        Optional<T> get(Connection c, String branchId, String name) throws SQLException;
    }

    /** Removes a live object inside the delete transaction; throws the conflicts that forbid it. */
    @FunctionalInterface
    interface Removal<T> {
        void remove(Connection c, T object) throws SQLException;
    }

    /**
     * Registers create and list on {@code …/branches/:branch_id/<kind>}, get and delete on {@code …/<kind>/:<param>};
     * returns that item path for the kind's own routes.
     */
    static String routes(Routes r, String kind, String param, Routes.Handler create, Routes.Handler list,
                         Routes.Handler get, Routes.Handler delete) {
        String base = "/projects/:project_id/branches/:branch_id/" + kind;
        String item = base + "/:" + param;
        r.post(base, create);
        r.get(base, list);
        r.get(item, get);
        r.delete(item, delete);
        return item;
    }

    /** The live branch of a live project; 404 for either. */
    static Branch branch(Connection c, String projectId, String branchId) throws SQLException {
        Control.project(c, projectId);
        return Control.branch(c, projectId, branchId);
    }

    /** The named object of a live branch; 404 when it, the branch or the project is absent. */
    static <T> T find(Connection c, Key k, Lookup<T> lookup, String what) throws SQLException {
        branch(c, k.projectId(), k.branchId());
        return lookup.get(c, k.branchId(), k.name())
                .orElseThrow(() -> ApiException.notFound(what + " " + k.name() + " not found on branch " + k.branchId()));
    }

    /**
     * DELETE of a named object: 200 with the object and the apply_config operations, or 204 when it is already gone:
     * its branch was soft-deleted, or the object is absent. Role and database rows are deleted outright, so on a live
     * branch a deleted one and one that never existed look the same and both answer 204, as Neon's do. A branch that
     * never existed in the project stays 404.
     */
    static <T> Reply delete(Control ctl, Req req, String param, Lookup<T> lookup, Removal<T> removal,
                            String field, Function<T, JsonObject> view) {
        Key k = Key.of(req, param);
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, k.projectId());
            Optional<Branch> b = Control.branchUnlessGone(c, k.projectId(), k.branchId());
            Optional<T> live = b.isEmpty() ? Optional.empty() : lookup.get(c, k.branchId(), k.name());
            if (live.isEmpty()) return Reply.gone();
            removal.remove(c, live.get());
            applyConfig(c, ops, b.get());
            return Reply.ok(new JsonObject().put(field, view.apply(live.get())).put("operations", ops.json(ctl.views())));
        });
    }

    /** Running endpoints of the branch pick up role and database changes through apply_config. */
    static void applyConfig(Connection c, OpBatch ops, Branch b) throws SQLException {
        for (Endpoint e : Endpoints.byBranch(c, b.id())) {
            if (e.type().equals("read_write") && !e.disabled()) ops.add(c, OperationAction.apply_config, b.projectId(), b.id(), e.id(), null);
        }
    }
}
