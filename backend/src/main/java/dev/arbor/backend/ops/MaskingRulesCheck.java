package dev.arbor.backend.ops;

import dev.arbor.backend.anon.AnonymizationJob;
import dev.arbor.backend.anon.MaskingException;
import dev.arbor.backend.anon.MaskingException.Kind;
import dev.arbor.backend.anon.MaskingException.Problem;
import dev.arbor.backend.anon.MaskingKey;
import dev.arbor.backend.anon.MaskingRule;
import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.storage.TimelineId;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks masking rules against the live schema of an anonymized branch's source, before the API stores them:
 * the same {@code MaskingPlan} validation the job runs (unknown schema/table/column, functions, argument
 * types, NOT NULL, unique keys, foreign-key columns), plus databases the source branch lacks. The schema is
 * read through a private read_write endpoint on a scratch copy-on-write child of the source's head, so the
 * source's own endpoints are untouched. Blocking (it starts a postgres): call it on a virtual thread.
 */
public final class MaskingRulesCheck {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Db db;
    private final ComputeControl compute;
    private final AnonScratch scratch;

    public MaskingRulesCheck(Db db, BranchStorage storage, ComputeControl compute) {
        this.db = db;
        this.compute = compute;
        this.scratch = new AnonScratch(db, storage, compute);
    }

    /** The answer: valid, the problems found, or why the schema could not be read. */
    public sealed interface Result {
        record Valid() implements Result {}
        record Invalid(List<Problem> problems) implements Result {
            public String message() {
                return String.join("; ", problems.stream().map(Problem::message).toList());
            }
        }
        /** The server has no compute to read the schema with. */
        record NoCompute(String message) implements Result {}
        /** The source branch has no timeline yet (still being created). */
        record NotReady(String message) implements Result {}
    }

    public Result check(String projectId, String sourceBranchId, List<MaskingRule> rules) throws Exception {
        if (rules.isEmpty()) return new Result.Valid();
        record Source(Branch branch, List<String> databases) {}
        String endpointId = "anon-check-" + HexFormat.of().formatHex(bytes());
        Source src;
        try {
            src = db.tx(c -> {
                Branch b = Branches.get(c, projectId, sourceBranchId).orElseThrow(SourceGone::new);
                if (b.timelineId().isEmpty()) return null;
                return new Source(b, Databases.byBranch(c, b.id()).stream().map(Databases.Database::name).toList());
            });
        } catch (SourceGone e) {
            return new Result.Invalid(List.of(new Problem(Kind.UNKNOWN_OBJECT, "source branch " + sourceBranchId + " no longer exists")));
        }
        if (src == null) return new Result.NotReady("source branch " + sourceBranchId + " is still being created; retry shortly");

        List<Problem> problems = new ArrayList<>();
        Set<String> databases = new LinkedHashSet<>();
        for (MaskingRule r : rules) {
            if (src.databases().contains(r.databaseName())) {
                databases.add(r.databaseName());
            } else {
                problems.add(new Problem(Kind.UNKNOWN_OBJECT, "masking rule for " + r.qualifiedColumn() + ": database "
                        + r.databaseName() + " does not exist on source branch " + sourceBranchId));
            }
        }
        if (databases.isEmpty()) return new Result.Invalid(problems);
        if (!compute.available()) {
            return new Result.NoCompute("masking rules are checked against the source branch's live schema, which needs"
                    + " compute; this server runs without compute");
        }
        try {
            TimelineId tl = scratch.createTimeline(endpointId, projectId, new TimelineId(src.branch().timelineId().get()));
            EndpointSpec spec = db.tx(c -> AnonScratch.privateSpec(c, src.branch(), tl, endpointId));
            // one private endpoint serves as both sides: the check only reads
            compute.withSuperuser(spec, spec, (source, unused) -> {
                for (String database : databases) {
                    try {
                        AnonymizationJob.validate(() -> source.connect(database), database, rules, MaskingKey.generate());
                    } catch (MaskingException e) {
                        problems.addAll(e.problems());
                    }
                }
            });
        } finally {
            scratch.release(endpointId);
        }
        return problems.isEmpty() ? new Result.Valid() : new Result.Invalid(List.copyOf(problems));
    }

    private static final class SourceGone extends RuntimeException {
        SourceGone() { super(null, null, false, false); }
    }

    private static byte[] bytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }
}
