package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches.Branch;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/** What a branch's roles and databases share: routes keyed by name under the branch, and the branch lookup. */
final class BranchObjects {
    private BranchObjects() {}

    /** Reads one named object of a branch ({@code Roles::get}, {@code Databases::get}). */
    @FunctionalInterface
    interface Lookup<T> {
        Optional<T> get(Connection c, String branchId, String name) throws SQLException;
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
    static <T> T find(Connection c, String projectId, String branchId, Lookup<T> lookup, String what, String name) throws SQLException {
        branch(c, projectId, branchId);
        return lookup.get(c, branchId, name).orElseThrow(() -> ApiException.notFound(what + " " + name + " not found on branch " + branchId));
    }

    /**
     * For DELETE: the named object, or empty when it is already gone (204): its branch was soft-deleted, or the
     * object is absent. Role and database rows are deleted outright, so on a live branch a deleted one and one that
     * never existed look the same and both answer 204, as Neon's do. A branch that never existed stays 404.
     */
    static <T> Optional<T> unlessGone(Connection c, String projectId, String branchId, Lookup<T> lookup, String name) throws SQLException {
        Control.project(c, projectId);
        if (Control.branchUnlessGone(c, projectId, branchId).isEmpty()) return Optional.empty();
        return lookup.get(c, branchId, name);
    }
}
