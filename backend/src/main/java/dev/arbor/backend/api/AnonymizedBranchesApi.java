package dev.arbor.backend.api;

import dev.arbor.backend.anon.MaskingException;
import dev.arbor.backend.anon.MaskingFunctions;
import dev.arbor.backend.meta.AnonymizedBranches;
import dev.arbor.backend.meta.AnonymizedBranches.Anonymized;
import dev.arbor.backend.meta.AnonymizedBranches.State;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.MaskingRules;
import dev.arbor.backend.meta.MaskingRules.Rule;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.Operations;
import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.ops.MaskingRulesCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Anonymized branches (Neon's {@code branch_anonymized}): a schema-only copy of the parent that the
 * anonymize_branch operation fills with masked rows; {@code anonymized_status} and {@code anonymize} (rerun).
 */
public final class AnonymizedBranchesApi implements Consumer<Routes> {
    private final Control ctl;
    private final BranchesApi branches;
    private final MaskingRulesCheck check;

    public AnonymizedBranchesApi(Control ctl, BranchesApi branches, MaskingRulesCheck check) {
        this.ctl = ctl;
        this.branches = branches;
        this.check = check;
    }

    @Override
    public void accept(Routes r) {
        r.post("/projects/:project_id/branch_anonymized", this::create);
        r.get("/projects/:project_id/branches/:branch_id/anonymized_status", this::status);
        r.post("/projects/:project_id/branches/:branch_id/anonymize", this::anonymize);
    }

    private Reply create(Req req) {
        JsonObject body = req.body();
        // Neon's shape is {branch_create: {branch, endpoints}}; a top-level {branch, endpoints} is accepted too
        boolean topLevel = body.containsKey("branch") || body.containsKey("endpoints");
        if (topLevel && body.containsKey("branch_create")) {
            throw ApiException.badRequest("give branch_create or top-level branch/endpoints, not both");
        }
        JsonObject create = topLevel ? new JsonObject().put("branch", Req.obj(body, "branch", "branch").orElse(new JsonObject()))
                .put("endpoints", Req.arr(body, "endpoints", "endpoints").orElse(new JsonArray()))
                : Req.obj(body, "branch_create", "branch_create").orElse(new JsonObject()).copy();
        JsonObject branch = Req.obj(create, "branch", "branch_create.branch").orElse(new JsonObject());
        Req.str(branch, "init_source", "branch_create.branch.init_source").ifPresent(s -> {
            if (!s.equals("schema-only")) throw ApiException.badRequest("an anonymized branch starts schema-only; branch_create.branch.init_source must be omitted");
        });
        if (branch.containsKey("parent_lsn") || branch.containsKey("parent_timestamp")) {
            throw ApiException.badRequest("an anonymized branch is derived from its parent's head; parent_lsn and parent_timestamp are not supported");
        }
        create.put("branch", branch.copy().put("init_source", "schema-only"));
        List<Rule> rules = parseRules(Req.arr(body, "masking_rules", "masking_rules").orElse(new JsonArray()), "masking_rules");
        boolean start = Req.bool(body, "start_anonymization", "start_anonymization").orElse(false);
        String projectId = req.project();
        // the source (parent) is the one BranchesApi.create picks: branch.parent_id or the default branch
        String source = Req.str(branch, "parent_id", "branch_create.branch.parent_id").orElse(null);
        if (!rules.isEmpty()) {
            String parentId = ctl.db().tx(c -> {
                Control.project(c, projectId);
                if (source != null) return Branches.get(c, projectId, source).map(Branch::id).orElseThrow(() -> ApiException.badRequest(
                        "branch.parent_id " + source + " is not a branch of project " + projectId));
                return Branches.defaultBranch(c, projectId).map(Branch::id)
                        .orElseThrow(() -> ApiException.conflict("project has no default branch"));
            });
            MaskingRulesApi.checkLive(check, projectId, parentId, rules);
            if (source == null) create.put("branch", create.getJsonObject("branch").copy().put("parent_id", parentId));
        }
        return branches.create(req, create, (c, b, parent, ops) -> {
            Instant now = Instant.now();
            AnonymizedBranches.insert(c, b.id(), b.projectId(), parent.id(), now);
            MaskingRules.replace(c, b.id(), rules);
            if (start) {
                AnonymizedBranches.setState(c, b.id(), State.anonymizing, "Anonymization scheduled", null, now);
                ops.add(c, OperationAction.anonymize_branch, b.projectId(), b.id(), null, new JsonObject());
            }
        });
    }

    /**
     * Shape (via the masking_rules API) and function names/arguments, before any schema is read;
     * {@link MaskingRulesApi#checkLive} then checks them against the source's live schema.
     */
    static List<Rule> parseRules(JsonArray in, String where) {
        List<Rule> rules = MaskingRulesApi.parse(in, where);
        try {
            MaskingFunctions.check(rules.stream().map(MaskingRulesApi::toEngine).toList());
        } catch (MaskingException e) {
            throw ApiException.badRequest("invalid masking rules: " + MaskingRulesApi.describe(e.problems(), rules));
        }
        return rules;
    }

    private Reply status(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            Anonymized a = anonymized(c, id);
            State state = a.state();
            // the schema copy ran and no job was asked for yet
            boolean idle = Operations.unfinishedFor(c, List.of(id)).isEmpty();
            if (state == State.created && idle) state = State.initialized;
            String message = a.statusMessage();
            // an operation before the job (e.g. the schema copy) failed, so the job never ran
            if (state == State.anonymizing && idle) {
                state = State.error;
                message = "the anonymization did not run: an operation before it failed (see the branch's operations)";
            }
            JsonObject out = new JsonObject().put("project_id", projectId).put("branch_id", id).put("state", state.name())
                    .put("status_message", message).put("source_branch_id", a.sourceBranchId())
                    .put("timeline_id", b.timelineId().orElse(null))
                    .put("created_at", Views.ts(a.createdAt())).put("updated_at", Views.ts(a.updatedAt()));
            a.failedAt().ifPresent(t -> out.put("failed_at", Views.ts(t)));
            if (!a.lastRun().isEmpty()) out.put("last_run", a.lastRun());
            return Reply.ok(out);
        });
    }

    /** 423 while the branch is being anonymized: its endpoints must not start under the running job. */
    static void checkNotAnonymizing(Connection c, String branchId) throws SQLException {
        if (AnonymizedBranches.get(c, branchId).filter(a -> a.state() == State.anonymizing).isPresent()
                && !Operations.unfinishedFor(c, List.of(branchId)).isEmpty()) {
            throw ApiException.locked("branch " + branchId + " is being anonymized; retry when anonymized_status says anonymized");
        }
    }

    private static Anonymized anonymized(Connection c, String id) throws SQLException {
        return AnonymizedBranches.get(c, id).orElseThrow(() -> ApiException.badRequest("branch " + id + " is not an anonymized branch"));
    }

    /** Starts (or reruns) the job: the branch's running endpoints stop, the job re-derives it, they start again. */
    private Reply anonymize(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            anonymized(c, id);
            Control.checkNotLocked(c, List.of(id), "anonymize branch " + id);
            Instant now = Instant.now();
            AnonymizedBranches.setState(c, id, State.anonymizing, "Anonymization scheduled", null, now);
            List<Endpoint> running = Endpoints.byBranch(c, id).stream().filter(e -> e.currentState().equals("active")).toList();
            for (Endpoint e : running) ops.add(c, OperationAction.suspend_compute, projectId, id, e.id(), null);
            ops.add(c, OperationAction.anonymize_branch, projectId, b.id(), null, new JsonObject());
            for (Endpoint e : running) ops.add(c, OperationAction.start_compute, projectId, id, e.id(), null);
            return Reply.ok(new JsonObject().put("operations", ops.json(ctl.views())));
        });
    }
}
