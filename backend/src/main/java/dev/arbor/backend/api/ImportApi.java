package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.TwinImports;
import dev.arbor.backend.twin.SourceProbe;
import dev.arbor.backend.twin.SourceUrl;
import dev.arbor.backend.twin.TwinImport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Twin import: {@code POST /projects/{id}/import} copies an external PostgreSQL database into a branch's
 * database (default: the default branch) as an {@code import_data} operation with progress;
 * {@code "mode":"resync"} repeats the branch's last import from the source it remembers. The source is
 * probed first, so a bad or unreachable source is a 4xx and nothing is scheduled.
 * {@code GET /projects/{id}/import} lists each branch's latest import.
 */
public final class ImportApi implements Consumer<Routes> {
    private final Control ctl;
    private final TwinImport twin;

    public ImportApi(Control ctl, TwinImport twin) {
        this.ctl = ctl;
        this.twin = twin;
    }

    @Override
    public void accept(Routes r) {
        r.post("/projects/:project_id/import", this::start);
        r.get("/projects/:project_id/import", this::list);
    }

    private record Plan(Branch branch, String database, SourceUrl source) {}

    private Reply start(Req req) {
        String projectId = req.project();
        JsonObject body = req.body();
        JsonObject in = Req.obj(body, "import", "import").orElse(body);
        String w = in == body ? "" : "import.";
        String mode = Req.str(in, "mode", w + "mode").orElse("full");
        if (!mode.equals("full") && !mode.equals("resync")) throw ApiException.badRequest(w + "mode must be full or resync, got " + Req.quote(mode));
        Optional<String> url = Req.str(in, "source_url", w + "source_url");
        Optional<String> branchIn = Req.str(in, "branch_id", w + "branch_id");
        branchIn.ifPresent(b -> { if (!Req.ID.matcher(b).matches()) throw ApiException.badRequest(w + "branch_id must match ^[a-z0-9-]{1,60}$"); });
        Optional<String> dbIn = Req.str(in, "database_name", w + "database_name");
        int jobs = Req.integer(in, "jobs", w + "jobs").orElse(TwinImport.DEFAULT_JOBS);
        if (jobs < 1 || jobs > TwinImport.MAX_JOBS) throw ApiException.badRequest(w + "jobs must be between 1 and " + TwinImport.MAX_JOBS);
        if (mode.equals("full") && url.isEmpty()) throw ApiException.badRequest(w + "source_url is required for a full import");
        Optional<SourceUrl> given = url.map(u -> {
            try {
                return SourceUrl.parse(u);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(w + e.getMessage());
            }
        });

        Plan plan = ctl.db().tx(c -> {
            Control.project(c, projectId);
            Branch b = branchIn.isPresent() ? Control.branch(c, projectId, branchIn.get())
                    : Branches.defaultBranch(c, projectId).orElseThrow(() -> ApiException.notFound("project " + projectId + " has no default branch"));
            Optional<JsonObject> prev = TwinImports.latest(c, b.id()).map(Operation::params);
            SourceUrl src = given.orElseGet(() -> SourceUrl.parse(ctl.secrets().decrypt(prev.map(p -> p.getString(TwinImport.SOURCE_ENC))
                    .orElseThrow(() -> ApiException.conflict("branch " + b.id() + " has no earlier import to re-sync; run a full import with source_url first")))));
            List<String> dbs = Databases.byBranch(c, b.id()).stream().map(Databases.Database::name).toList();
            String database = dbIn.or(() -> prev.map(p -> p.getString("database_name")))
                    .orElseGet(() -> dbs.size() == 1 ? dbs.getFirst() : dbs.contains(src.database()) ? src.database() : null);
            if (database == null) throw ApiException.badRequest(w + "database_name is required: branch " + b.id() + " has databases " + dbs);
            if (!dbs.contains(database)) throw ApiException.notFound("database " + database + " not found on branch " + b.id());
            var rw = Endpoints.byBranch(c, b.id()).stream().filter(e -> e.type().equals("read_write")).findFirst()
                    .orElseThrow(() -> ApiException.conflict("branch " + b.id() + " has no read_write endpoint to import into; add one first"));
            if (rw.disabled()) throw ApiException.conflict("endpoint " + rw.id() + " of branch " + b.id() + " is disabled");
            return new Plan(b, database, src);
        });

        try {
            twin.probe().probe(plan.source());
        } catch (SourceProbe.Unreachable e) {
            throw new ApiException(422, "IMPORT_SOURCE_UNREACHABLE", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "UNAVAILABLE", "interrupted while checking the source");
        }

        JsonObject params = new JsonObject().put(TwinImport.SOURCE_ENC, ctl.secrets().encrypt(plan.source().raw()))
                .put("source", plan.source().redacted()).put("database_name", plan.database()).put("mode", mode).put("jobs", jobs);
        OpBatch ops = new OpBatch();
        String branchId = plan.branch().id();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Control.branch(c, projectId, branchId);
            Control.checkNotLocked(c, List.of(branchId), "import into branch " + branchId);
            ops.add(c, OperationAction.import_data, projectId, branchId, null, params);
            return new Reply(201, new JsonObject().put("import", view(projectId, branchId, params)).put("operations", ops.json(ctl.views())));
        });
    }

    private static JsonObject view(String projectId, String branchId, JsonObject params) {
        return new JsonObject().put("project_id", projectId).put("branch_id", branchId).put("database_name", params.getString("database_name"))
                .put("source", params.getString("source")).put("mode", params.getString("mode")).put("jobs", params.getInteger("jobs"));
    }

    private Reply list(Req req) {
        String projectId = req.project();
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            JsonArray out = new JsonArray();
            for (Operation op : TwinImports.latestPerBranch(c, projectId)) {
                if (op.branchId().isEmpty() || Branches.isDeleted(c, op.branchId().get())) continue;
                out.add(view(projectId, op.branchId().get(), op.params()).put("last_operation", ctl.views().operation(op)));
            }
            return Reply.ok(new JsonObject().put("imports", out));
        });
    }
}
