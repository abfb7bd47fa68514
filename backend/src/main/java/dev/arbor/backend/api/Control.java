package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Operations;
import dev.arbor.backend.meta.Projects;
import dev.arbor.backend.meta.Projects.Project;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.backend.ops.BranchStorage;
import dev.arbor.backend.ops.OperationExecutor;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** What every resource API shares: metadata, operations, storage checks, limits. */
public record Control(Db db, Views views, OperationExecutor executor, BranchStorage storage, Secrets secrets,
                      ConnectionInfo conn, Quotas quotas, Authenticator auth) {

    /** Server-wide limits. */
    public record Quotas(int maxProjects, int maxBranchesPerProject, int maxActiveEndpointsPerProject, int maxProtectedBranchesPerProject) {}

    /** Runs a mutation transaction, then starts the operations it recorded. */
    <T> T mutate(OpBatch batch, Db.Work<T> work) {
        T result = db.tx(c -> {
            batch.clear();  // a retried attempt starts its chain afresh
            return work.run(c);
        });
        executor.submit(batch.list());
        return result;
    }

    static Project lockProject(Connection c, String id) throws SQLException {
        return Projects.lock(c, id).orElseThrow(() -> ApiException.notFound("project " + id + " not found"));
    }

    static Project project(Connection c, String id) throws SQLException {
        return Projects.get(c, id).orElseThrow(() -> ApiException.notFound("project " + id + " not found"));
    }

    static Branch branch(Connection c, String projectId, String id) throws SQLException {
        return Branches.get(c, projectId, id).orElseThrow(() -> ApiException.notFound("branch " + id + " not found in project " + projectId));
    }

    static Endpoint endpoint(Connection c, String projectId, String id) throws SQLException {
        return Endpoints.get(c, projectId, id).orElseThrow(() -> ApiException.notFound("endpoint " + id + " not found in project " + projectId));
    }

    /**
     * For DELETE: the live branch, or empty when it was soft-deleted from this project (already gone: 204);
     * 404 when no branch with this id was ever in the project.
     */
    static Optional<Branch> branchUnlessGone(Connection c, String projectId, String id) throws SQLException {
        Optional<Branch> live = Branches.get(c, projectId, id);
        if (live.isPresent()) return live;
        if (Branches.getIncludingDeleted(c, id).filter(b -> b.projectId().equals(projectId)).isPresent()) return Optional.empty();
        throw ApiException.notFound("branch " + id + " not found in project " + projectId);
    }

    /** For DELETE: the live endpoint, or empty when it was soft-deleted from this project; 404 when it never was. */
    static Optional<Endpoint> endpointUnlessGone(Connection c, String projectId, String id) throws SQLException {
        Optional<Endpoint> live = Endpoints.get(c, projectId, id);
        if (live.isPresent()) return live;
        if (Endpoints.getIncludingDeleted(c, id).filter(e -> e.projectId().equals(projectId)).isPresent()) return Optional.empty();
        throw ApiException.notFound("endpoint " + id + " not found in project " + projectId);
    }

    /** 423 while an operation on any of these branches is unfinished: the client retries. */
    static void checkNotLocked(Connection c, List<String> branchIds, String what) throws SQLException {
        List<Operation> running = Operations.unfinishedFor(c, branchIds);
        if (!running.isEmpty()) {
            Operation op = running.getFirst();
            throw ApiException.locked("cannot " + what + " while operation " + op.id() + " (" + op.action() + ") on branch "
                    + op.branchId().orElse("?") + " is " + op.status() + "; retry shortly");
        }
    }
}
