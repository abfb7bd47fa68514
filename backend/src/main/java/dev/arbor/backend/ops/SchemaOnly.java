package dev.arbor.backend.ops;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Projects;
import dev.arbor.backend.meta.Roles;
import dev.arbor.storage.TimelineId;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * The apply_schema_from_branch step of a schema-only branch: once its fresh root timeline holds an
 * initdb cluster, compute copies the parent's schema (and the roles it needs) into it, with no rows.
 * Both sides run as private short-lived endpoints, so neither the parent's endpoints nor the branch's
 * own are involved (the parent's head is read through a read-only endpoint on a scratch timeline).
 */
final class SchemaOnly {
    private final Db db;
    private final ComputeControl compute;

    SchemaOnly(Db db, ComputeControl compute) {
        this.db = db;
        this.compute = compute;
    }

    StepResult run(Operation op) throws Exception {
        if (!compute.available()) throw new PermanentFailure(NoCompute.REASON + "; a schema-only branch needs compute to copy the schema");
        String branchId = op.branchId().orElseThrow(() -> new PermanentFailure("operation has no branch"));
        String sourceId = op.params().getString("source_branch_id");
        if (db.tx(c -> Branches.isDeleted(c, branchId))) return StepResult.skipped("branch " + branchId + " was deleted");
        EndpointSpec[] specs = db.tx(c -> {
            Branch target = Branches.getIncludingDeleted(c, branchId).orElseThrow(() -> new PermanentFailure("branch " + branchId + " does not exist"));
            Branch source = Branches.getIncludingDeleted(c, sourceId).orElseThrow(() -> new PermanentFailure("source branch " + sourceId + " does not exist"));
            if (target.timelineId().isEmpty()) throw new PermanentFailure("branch " + branchId + " has no timeline yet");
            if (source.timelineId().isEmpty()) throw new PermanentFailure("source branch " + sourceId + " has no timeline");
            return new EndpointSpec[]{spec(c, source, "schema-src-" + branchId, "read_only"), spec(c, target, "schema-dst-" + branchId, "read_write")};
        });
        compute.copySchema(specs[0], specs[1]);
        return StepResult.DONE;
    }

    /**
     * A private endpoint on {@code b}: its databases and roles, without passwords (tooling connects as the
     * superuser over the socket; the branch's own endpoints set the passwords when they start). Never suspends.
     */
    private static EndpointSpec spec(Connection c, Branch b, String endpointId, String type) throws SQLException {
        int pgVersion = Projects.get(c, b.projectId()).map(Projects.Project::pgVersion).orElse(15);
        var roles = Roles.byBranch(c, b.id()).stream().map(r -> new EndpointSpec.RoleSpec(r.name(), null, r.noLogin())).toList();
        var dbs = Databases.byBranch(c, b.id()).stream().map(d -> new EndpointSpec.DatabaseSpec(d.name(), d.ownerName())).toList();
        return new EndpointSpec(b.projectId(), endpointId, b.id(), new TimelineId(b.timelineId().get()), type, pgVersion,
                0.25, 0.25, -1, Map.of(), roles, dbs);
    }
}
