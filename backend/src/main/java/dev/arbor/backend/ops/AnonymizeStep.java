package dev.arbor.backend.ops;

import dev.arbor.backend.anon.AnonymizationJob;
import dev.arbor.backend.anon.AnonymizationResult;
import dev.arbor.backend.anon.MaskingException;
import dev.arbor.backend.anon.MaskingKey;
import dev.arbor.backend.anon.MaskingRule;
import dev.arbor.backend.meta.AnonymizedBranches;
import dev.arbor.backend.meta.AnonymizedBranches.State;
import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.MaskingRules;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.storage.TimelineId;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The anonymize_branch step: re-derives an anonymized branch from the current head of its source branch.
 * The source is read through a private read_write endpoint on a scratch copy-on-write timeline (so the
 * source's own endpoints are untouched and the read is one consistent snapshot); the target is a private
 * endpoint on the branch's own timeline, which only ever receives masked rows. The branch's endpoints are
 * suspended by the operations before this one and refuse connections while the state is anonymizing.
 */
final class AnonymizeStep {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AnonymizeStep.class);
    private static final int PARALLELISM = 2;
    private final Db db;
    private final BranchStorage storage;
    private final ComputeControl compute;
    private final Secrets secrets;
    private final AnonScratch scratch;

    AnonymizeStep(Db db, BranchStorage storage, ComputeControl compute, Secrets secrets) {
        this.db = db;
        this.storage = storage;
        this.compute = compute;
        this.secrets = secrets;
        this.scratch = new AnonScratch(db, storage, compute);
    }

    private record Plan(Branch target, Branch source, List<MaskingRule> rules, MaskingKey key, List<String> databases) {}

    StepResult run(Operation op) throws Exception {
        if (!compute.available()) throw new PermanentFailure(NoCompute.REASON + "; anonymization needs compute");
        String branchId = op.branchId().orElseThrow(() -> new PermanentFailure("operation has no branch"));
        if (db.tx(c -> Branches.isDeleted(c, branchId))) return StepResult.skipped("branch " + branchId + " was deleted");
        Plan plan = db.tx(c -> plan(c, branchId));
        String srcId = "anon-src-" + branchId, dstId = "anon-dst-" + branchId;
        // a run cut short by a crash left its private endpoints and scratch timeline: reclaim them first
        scratch.release(srcId);
        scratch.release(dstId);
        Instant started = Instant.now();
        setState(branchId, State.anonymizing, "Anonymization started", null);
        try {
            TimelineId scratchTl = scratch.createTimeline(srcId, op.projectId(), new TimelineId(plan.source().timelineId().get()));
            scratch.register(dstId);
            EndpointSpec src = spec(plan.source(), scratchTl, srcId);
            EndpointSpec dst = spec(plan.target(), new TimelineId(plan.target().timelineId().get()), dstId);
            JsonArray results = new JsonArray();
            compute.withSuperuser(src, dst, (source, target) -> {
                for (String database : plan.databases()) {
                    AnonymizationJob job = new AnonymizationJob(() -> source.connect(database), () -> target.connect(database),
                            plan.key(), database, plan.rules(), PARALLELISM, true);
                    AnonymizationResult r = job.run(p -> db.tx(c -> {
                        AnonymizedBranches.setMessage(c, branchId, p.message(), Instant.now());
                        return null;
                    }));
                    results.add(new JsonObject().put("database", database).put("rows", r.totalRows())
                            .put("tables", r.rowsByTable().size()).put("masked_columns", new JsonArray(r.maskedColumns())));
                }
            });
            Instant done = Instant.now();
            setState(branchId, State.anonymized, "Anonymization finished", new JsonObject()
                    .put("started_at", started.toString()).put("finished_at", done.toString()).put("status", "finished")
                    .put("source_branch_id", plan.source().id()).put("databases", results));
            long size = storage.logicalSize(new TimelineId(plan.target().timelineId().get()));
            if (size >= 0) db.tx(c -> { Branches.setLogicalSize(c, branchId, size); return null; });
            return StepResult.DONE;
        } catch (MaskingException e) {
            fail(branchId, started, "masking rules do not fit the source: " + e.getMessage());
            throw new PermanentFailure("masking rules do not fit the source: " + e.getMessage());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            fail(branchId, started, "anonymization failed: " + e.getMessage());
            throw new PermanentFailure("anonymization failed: " + e.getMessage());
        } finally {
            releaseQuietly(srcId);
            releaseQuietly(dstId);
        }
    }

    /** A release that fails now (e.g. interrupted at shutdown) is retried by the next run or the next server start. */
    private void releaseQuietly(String endpointId) {
        try {
            scratch.release(endpointId);
        } catch (Exception e) {
            log.warn("anonymization scratch {} not released yet: {}", endpointId, e.toString());
        }
    }

    private Plan plan(Connection c, String branchId) throws SQLException {
        Branch target = Branches.getIncludingDeleted(c, branchId).orElseThrow(() -> new PermanentFailure("branch " + branchId + " does not exist"));
        var anon = AnonymizedBranches.get(c, branchId).orElseThrow(() -> new PermanentFailure("branch " + branchId + " is not anonymized"));
        Branch source = Branches.get(c, target.projectId(), anon.sourceBranchId())
                .orElseThrow(() -> new PermanentFailure("source branch " + anon.sourceBranchId() + " no longer exists"));
        if (target.timelineId().isEmpty() || source.timelineId().isEmpty()) throw new PermanentFailure("branch has no timeline yet");
        List<MaskingRule> rules = MaskingRules.get(c, branchId).stream().map(r -> new MaskingRule(r.databaseName(), r.schemaName(),
                r.tableName(), r.columnName(), r.maskingFunction(), r.maskingValue())).toList();
        String enc = AnonymizedBranches.keyEnc(c, target.projectId(), () -> secrets.encrypt(
                Base64.getEncoder().encodeToString(MaskingKey.generate().secret())));
        MaskingKey key = MaskingKey.of(Base64.getDecoder().decode(secrets.decrypt(enc)));
        List<String> dbs = Databases.byBranch(c, branchId).stream().map(Databases.Database::name).toList();
        return new Plan(target, source, rules, key, dbs);
    }

    private EndpointSpec spec(Branch b, TimelineId tl, String endpointId) {
        return db.tx(c -> AnonScratch.privateSpec(c, b, tl, endpointId));
    }

    private void setState(String branchId, State state, String message, JsonObject lastRun) {
        db.tx(c -> { AnonymizedBranches.setState(c, branchId, state, message, lastRun, Instant.now()); return null; });
    }

    private void fail(String branchId, Instant started, String message) {
        setState(branchId, State.error, message, new JsonObject().put("started_at", started.toString())
                .put("failed_at", Instant.now().toString()).put("status", "failed").put("error", message));
    }
}
