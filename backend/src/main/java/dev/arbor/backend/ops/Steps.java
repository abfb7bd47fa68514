package dev.arbor.backend.ops;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.compute.volume.LocalWal;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.TimelineId;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The step for every action, wired to the pluggable {@link BranchStorage} and {@link ComputeControl}.
 * Operation params (written by the API): create_timeline {@code {root, parent_timeline, point, retention_seconds}},
 * restore: create_timeline with {@code replace, old_timeline, delete_old}; delete_timeline {@code {timeline_id}}.
 */
public final class Steps {
    private final Db db;
    private final BranchStorage storage;
    private final ComputeControl compute;
    private final ComputeSpecs specs;

    public Steps(Db db, BranchStorage storage, ComputeControl compute, ComputeSpecs specs) {
        this.db = db;
        this.storage = storage;
        this.compute = compute;
        this.specs = specs;
    }

    public Map<OperationAction, Step> all() {
        Map<OperationAction, Step> m = new EnumMap<>(OperationAction.class);
        m.put(OperationAction.create_timeline, this::createTimeline);
        m.put(OperationAction.create_branch, this::createTimeline);
        m.put(OperationAction.delete_timeline, this::deleteTimeline);
        m.put(OperationAction.start_compute, this::startCompute);
        m.put(OperationAction.suspend_compute, this::suspendCompute);
        m.put(OperationAction.apply_config, this::applyConfig);
        m.put(OperationAction.delete_compute, this::deleteCompute);
        m.put(OperationAction.apply_schema_from_branch, this::applySchema);
        m.put(OperationAction.anonymize_branch, op -> new AnonymizeStep(db, storage, compute, specs.secrets()).run(op));
        return m;
    }

    /** Encodes a branch point for operation params. */
    public static JsonObject point(BranchPoint p) {
        return switch (p) {
            case BranchPoint.Head h -> new JsonObject().put("kind", "head");
            case BranchPoint.AtLsn l -> new JsonObject().put("kind", "lsn").put("value", l.lsn().toString());
            case BranchPoint.AtTime t -> new JsonObject().put("kind", "time").put("value", t.time().toString());
        };
    }

    static BranchPoint point(JsonObject j) {
        if (j == null) return BranchPoint.head();
        return switch (j.getString("kind", "head")) {
            case "lsn" -> BranchPoint.at(Lsn.parse(j.getString("value")));
            case "time" -> BranchPoint.at(Instant.parse(j.getString("value")));
            default -> BranchPoint.head();
        };
    }

    private StepResult createTimeline(Operation op) throws Exception {
        String branchId = op.branchId().orElseThrow(() -> new PermanentFailure("operation has no branch"));
        var branch = db.tx(c -> Branches.getIncludingDeleted(c, branchId))
                .orElseThrow(() -> new PermanentFailure("branch " + branchId + " does not exist"));
        JsonObject p = op.params();
        // a restore gives the branch a new timeline even though it has one; a create only runs once
        boolean replace = p.getBoolean("replace", false);
        if (branch.timelineId().isPresent() && !replace) return StepResult.DONE;
        // ...and is done once the branch no longer points at the timeline it had when the restore began
        if (replace && !java.util.Objects.equals(branch.timelineId().orElse(null), p.getString("old_timeline"))) return StepResult.DONE;
        if (db.tx(c -> Branches.isDeleted(c, branchId))) return StepResult.skipped("branch " + branchId + " was deleted");
        TimelineId tl;
        String lsn = null;
        Instant time = null;
        if (p.getBoolean("root", false)) {
            tl = storage.createRoot(op.projectId(), branchId, Duration.ofSeconds(p.getLong("retention_seconds", 86400L)));
            compute.initTimeline(tl);
        } else {
            BranchPoint at = point(p.getJsonObject("point"));
            TimelineId parentTl = new TimelineId(p.getString("parent_timeline"));
            if (at instanceof BranchPoint.Head && compute.available()) compute.checkpoint(parentTl);
            else if (LocalWal.isRecent(at) && compute.available()) compute.flushWal(parentTl);
            // postgres' WAL reaches the store a few ms after a commit (LocalWal): a time is read that much later
            var created = storage.createBranch(op.projectId(), branchId, parentTl, LocalWal.covering(at));
            tl = created.timeline();
            lsn = created.branchLsn() == null ? null : created.branchLsn().toString();
            time = at instanceof BranchPoint.AtTime(var t) ? t : created.branchTime();
        }
        String lsnF = lsn;
        Instant timeF = time;
        String old = branch.timelineId().orElse(null);
        // record the new timeline at once: a retry after this point must not create a second one
        db.tx(c -> {
            Branches.setTimeline(c, branchId, tl.value(), lsnF, timeF, -1, Instant.now());
            return null;
        });
        long size = storage.logicalSize(tl);
        if (size >= 0) db.tx(c -> { Branches.setLogicalSize(c, branchId, size); return null; });
        // a restore without preserve_under_name drops the old timeline once the branch moved off it
        if (replace && old != null && p.getBoolean("delete_old", false)) storage.delete(new TimelineId(old));
        return StepResult.DONE;
    }

    private StepResult deleteTimeline(Operation op) {
        String tl = op.params().getString("timeline_id");
        if (tl == null) return StepResult.skipped("branch had no timeline yet");
        storage.delete(new TimelineId(tl));
        return StepResult.DONE;
    }

    private Optional<Endpoint> liveEndpoint(Operation op) {
        String id = op.endpointId().orElseThrow(() -> new PermanentFailure("operation has no endpoint"));
        return db.tx(c -> Endpoints.getAny(c, id));
    }

    private EndpointSpec spec(Endpoint e) {
        return db.tx(c -> specs.build(c, e))
                .orElseThrow(() -> new PermanentFailure("branch " + e.branchId() + " has no timeline yet"));
    }

    private StepResult startCompute(Operation op) throws Exception {
        Optional<Endpoint> e = liveEndpoint(op);
        if (e.isEmpty()) return StepResult.skipped("endpoint was deleted");
        if (e.get().disabled()) { specs.setState(e.get().id(), "idle"); return StepResult.skipped("endpoint is disabled"); }
        if (!compute.available()) { specs.setState(e.get().id(), "idle"); return StepResult.skipped(NoCompute.REASON); }
        EndpointSpec spec = spec(e.get());
        compute.start(spec);
        // roles and databases created while no compute ran (e.g. the project's owner) reach postgres here
        if (!spec.readOnly()) compute.applyConfig(spec);
        specs.setState(e.get().id(), "active");
        return StepResult.DONE;
    }

    private StepResult suspendCompute(Operation op) throws Exception {
        Optional<Endpoint> e = liveEndpoint(op);
        if (e.isEmpty()) return StepResult.skipped("endpoint was deleted");
        if (compute.available()) compute.suspend(spec(e.get()));
        specs.setState(e.get().id(), "idle");
        return StepResult.DONE;
    }

    private StepResult applyConfig(Operation op) throws Exception {
        Optional<Endpoint> e = liveEndpoint(op);
        if (e.isEmpty()) return StepResult.skipped("endpoint was deleted");
        if (!compute.available()) return StepResult.skipped(NoCompute.REASON + "; applied at its next start");
        compute.applyConfig(spec(e.get()));
        return StepResult.DONE;
    }

    private StepResult deleteCompute(Operation op) throws Exception {
        String id = op.endpointId().orElseThrow(() -> new PermanentFailure("operation has no endpoint"));
        Optional<Endpoint> e = db.tx(c -> Endpoints.getIncludingDeleted(c, id));
        if (e.isEmpty() || !compute.available()) return StepResult.DONE;
        Optional<EndpointSpec> s = db.tx(c -> specs.build(c, e.get()));
        if (s.isPresent()) {
            compute.suspend(s.get());
            compute.delete(s.get());
        }
        return StepResult.DONE;
    }

    private StepResult applySchema(Operation op) throws Exception {
        return new SchemaOnly(db, compute).run(op);
    }
}
