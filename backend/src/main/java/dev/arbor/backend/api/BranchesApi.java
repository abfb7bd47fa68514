package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Ids;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.Projects.Project;
import dev.arbor.backend.meta.Roles;
import dev.arbor.backend.ops.Steps;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** {@code /projects/{id}/branches}: create, list, count, get, update, delete, restore, set_as_default. */
public final class BranchesApi implements Consumer<Routes> {
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private final Control ctl;

    public BranchesApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.post("/projects/:project_id/branches", this::create);
        r.get("/projects/:project_id/branches", this::list);
        r.get("/projects/:project_id/branches/count", this::count);
        r.get("/projects/:project_id/branches/:branch_id", this::get);
        r.patch("/projects/:project_id/branches/:branch_id", this::update);
        r.delete("/projects/:project_id/branches/:branch_id", this::delete);
        r.post("/projects/:project_id/branches/:branch_id/restore", this::restore);
        r.post("/projects/:project_id/branches/:branch_id/set_as_default", this::setDefault);
        r.get("/projects/:project_id/branches/:branch_id/endpoints", this::endpoints);
    }

    private record EndpointRequest(String type, JsonObject in) {}

    /** Lets {@link AnonymizedBranchesApi} add its rows and operations to the schema-only branch being created. */
    interface CreateHook {
        void afterSchema(Connection c, Branch branch, Branch parent, OpBatch ops) throws SQLException;
    }

    private Reply create(Req req) { return create(req, req.body(), null); }

    Reply create(Req req, JsonObject body, CreateHook hook) {
        String projectId = req.project();
        JsonObject in = Req.obj(body, "branch", "branch").orElse(new JsonObject());
        Optional<String> name = Req.str(in, "name", "branch.name").map(n -> Names.displayName(n, "branch.name", 256));
        Optional<String> parentId = Req.str(in, "parent_id", "branch.parent_id");
        parentId.ifPresent(p -> { if (!Req.ID.matcher(p).matches()) throw ApiException.badRequest("branch.parent_id must match ^[a-z0-9-]{1,60}$"); });
        Optional<String> parentLsn = Req.str(in, "parent_lsn", "branch.parent_lsn");
        parentLsn.ifPresent(l -> { if (!LSN.matcher(l).matches()) throw ApiException.badRequest("branch.parent_lsn must look like 0/16B3748, got " + Req.quote(l)); });
        Optional<Instant> parentTs = Req.time(in, "parent_timestamp", "branch.parent_timestamp");
        if (parentLsn.isPresent() && parentTs.isPresent()) throw ApiException.badRequest("give branch.parent_lsn or branch.parent_timestamp, not both");
        parentTs.ifPresent(t -> { if (t.isAfter(Instant.now().plusSeconds(5))) throw ApiException.badRequest("branch.parent_timestamp is in the future"); });
        boolean prot = Req.bool(in, "protected", "branch.protected").orElse(false);
        Req.bool(in, "archived", "branch.archived").ifPresent(a -> { if (a) throw ApiException.badRequest("archived branches are not supported"); });
        String initSource = Req.str(in, "init_source", "branch.init_source").orElse("parent-data");
        if (!initSource.equals("parent-data") && !initSource.equals("schema-only")) {
            throw ApiException.badRequest("branch.init_source must be parent-data or schema-only, got " + Req.quote(initSource));
        }
        Optional<Instant> expires = Req.time(in, "expires_at", "branch.expires_at");
        expires.ifPresent(BranchesApi::checkExpiry);
        if (prot && expires.isPresent()) throw ApiException.badRequest("a protected branch cannot have expires_at");
        List<EndpointRequest> eps = new ArrayList<>();
        JsonArray epsIn = Req.arr(body, "endpoints", "endpoints").orElse(new JsonArray());
        int rw = 0;
        for (int i = 0; i < epsIn.size(); i++) {
            if (!(epsIn.getValue(i) instanceof JsonObject e)) throw ApiException.badRequest("endpoints[" + i + "] must be an object");
            String type = EndpointInput.type(e, "endpoints[" + i + "]");
            if (type.equals("read_write")) rw++;
            eps.add(new EndpointRequest(type, e));
        }
        if (rw > 1) throw ApiException.badRequest("a branch can have at most one read_write endpoint");
        if (initSource.equals("schema-only") && eps.stream().anyMatch(e -> e.type().equals("read_only"))) {
            throw ApiException.badRequest("a schema-only branch cannot have a read_only endpoint");
        }
        JsonObject annotation = Req.obj(body, "annotation_value", "annotation_value").orElse(new JsonObject());
        annotation.forEach(e -> { if (!(e.getValue() instanceof String)) throw ApiException.badRequest("annotation_value values must be strings"); });

        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Project p = Control.lockProject(c, projectId);
            Branch parent;
            if (parentId.isPresent()) {
                parent = Branches.get(c, projectId, parentId.get()).orElseThrow(() -> ApiException.badRequest(
                        "branch.parent_id " + parentId.get() + " is not a branch of project " + projectId));
            } else {
                parent = Branches.defaultBranch(c, projectId).orElseThrow(() -> ApiException.conflict("project has no default branch"));
            }
            if (parent.timelineId().isEmpty()) {
                throw ApiException.locked("parent branch " + parent.id() + " is still being created; retry shortly");
            }
            long live = Branches.count(c, projectId, Optional.empty());
            if (live >= ctl.quotas().maxBranchesPerProject()) {
                throw ApiException.quota("BRANCHES_LIMIT_EXCEEDED", "project " + projectId + " has reached its limit of "
                        + ctl.quotas().maxBranchesPerProject() + " branches");
            }
            if (prot) checkProtectedLimit(c, projectId);
            long enabled = Endpoints.countEnabled(c, projectId);
            if (enabled + eps.size() > ctl.quotas().maxActiveEndpointsPerProject()) {
                throw ApiException.quota("ENDPOINTS_LIMIT_EXCEEDED", "project " + projectId + " has reached its limit of "
                        + ctl.quotas().maxActiveEndpointsPerProject() + " endpoints");
            }
            String id = Ids.branch();
            String branchName = name.orElse(id);
            if (Branches.byName(c, projectId, branchName).isPresent()) {
                throw ApiException.conflict("branch with name " + branchName + " already exists");
            }
            BranchPoint point = parentLsn.<BranchPoint>map(l -> BranchPoint.at(Lsn.parse(l)))
                    .or(() -> parentTs.map(BranchPoint::at)).orElse(BranchPoint.head());
            TimelineId parentTl = new TimelineId(parent.timelineId().get());
            try {
                ctl.storage().checkBranchPoint(parentTl, point);
            } catch (StorageException.InvalidLsn e) {
                throw ApiException.badRequest("cannot branch from " + parent.id() + " at that point: " + e.getMessage());
            } catch (StorageException.NotFound e) {
                throw ApiException.conflict("parent branch " + parent.id() + " has no data: " + e.getMessage());
            }
            Instant now = Instant.now();
            boolean schemaOnly = initSource.equals("schema-only");
            Branch b = new Branch(id, projectId, branchName, schemaOnly ? Optional.empty() : Optional.of(parent.id()),
                    parentLsn, parentTs, Optional.empty(), "init", Optional.of("ready"), now, false, prot, initSource,
                    expires, Optional.empty(), Optional.empty(), now, now);
            Branches.insert(c, b);
            setAnnotation(c, id, annotation);
            Roles.copy(c, parent.id(), id, now);
            if (parent.isProtected()) {
                // a protected branch's credentials never carry over to its children
                for (Roles.Role r : Roles.byBranch(c, id)) {
                    if (r.passwordEnc().isPresent()) {
                        Roles.setPassword(c, id, r.name(), ctl.secrets().encrypt(dev.arbor.backend.meta.Secrets.newPassword()), now);
                    }
                }
            }
            Databases.copy(c, parent.id(), id, now);
            if (schemaOnly) {
                ops.add(c, OperationAction.create_timeline, projectId, id, null,
                        new JsonObject().put("root", true).put("retention_seconds", p.historyRetentionSeconds()));
            } else {
                ops.add(c, OperationAction.create_timeline, projectId, id, null,
                        new JsonObject().put("parent_timeline", parentTl.value()).put("point", Steps.point(point)));
            }
            List<Endpoint> created = new ArrayList<>();
            for (EndpointRequest er : eps) {
                Endpoint ep = ProjectsApi.newEndpoint(p, id, er.type(), er.in(), now);
                Endpoints.insert(c, ep);
                created.add(ep);
            }
            if (schemaOnly) {
                ops.add(c, OperationAction.apply_schema_from_branch, projectId, id, null, new JsonObject().put("source_branch_id", parent.id()));
            }
            if (hook != null) hook.afterSchema(c, b, parent, ops);
            for (Endpoint ep : created) ops.add(c, OperationAction.start_compute, projectId, id, ep.id(), null);
            Views v = ctl.views();
            var roles = Roles.byBranch(c, id);
            var dbs = Databases.byBranch(c, id);
            JsonObject out = new JsonObject().put("branch", v.branch(b))
                    .put("endpoints", Views.array(created, v::endpoint))
                    .put("operations", ops.json(v))
                    .put("roles", Views.array(roles, r -> v.role(r, null)))
                    .put("databases", Views.array(dbs, v::database));
            if (!created.isEmpty()) {
                Endpoint ep = created.stream().filter(e -> e.type().equals("read_write")).findFirst().orElse(created.getFirst());
                JsonArray uris = new JsonArray();
                for (var d : dbs) {
                    var owner = roles.stream().filter(r -> r.name().equals(d.ownerName())).findFirst();
                    String pw = p.storePasswords() ? owner.flatMap(Roles.Role::passwordEnc).map(ctl.secrets()::decrypt).orElse(null) : null;
                    uris.add(ctl.conn().details(ep.id(), d.ownerName(), pw, d.name()));
                }
                out.put("connection_uris", uris);
            }
            return Reply.created(out);
        });
    }

    private void checkProtectedLimit(Connection c, String projectId) throws SQLException {
        int max = ctl.quotas().maxProtectedBranchesPerProject();
        if (Branches.countProtected(c, projectId) >= max) {
            throw ApiException.quota("PROTECTED_BRANCHES_LIMIT_EXCEEDED", "project " + projectId + " already has " + max
                    + " protected branches, the limit; unprotect one first");
        }
    }

    private static void checkExpiry(Instant t) {
        if (!t.isAfter(Instant.now())) throw ApiException.badRequest("branch.expires_at must be in the future");
        if (t.isAfter(Instant.now().plusSeconds(30L * 86400))) throw ApiException.badRequest("branch.expires_at must be at most 30 days ahead");
    }

    private static void setAnnotation(Connection c, String branchId, JsonObject value) throws SQLException {
        try (var ps = c.prepareStatement("update branches set annotation = ?::jsonb where id = ?")) {
            ps.setString(1, value.encode());
            ps.setString(2, branchId);
            ps.executeUpdate();
        }
    }

    private static JsonObject annotation(Connection c, Branch b) throws SQLException {
        try (var ps = c.prepareStatement("select annotation from branches where id = ?")) {
            ps.setString(1, b.id());
            try (var rs = ps.executeQuery()) {
                JsonObject value = rs.next() && rs.getString(1) != null ? new JsonObject(rs.getString(1)) : new JsonObject();
                return new JsonObject().put("object", new JsonObject().put("type", "console/branch").put("id", b.id()))
                        .put("value", value).put("created_at", Views.ts(b.createdAt())).put("updated_at", Views.ts(b.updatedAt()));
            }
        }
    }

    private Reply list(Req req) {
        String projectId = req.project();
        Optional<String> search = req.query("search");
        Branches.SortBy sortBy;
        try {
            sortBy = Branches.SortBy.valueOf(req.query("sort_by").orElse("updated_at"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("sort_by must be name, created_at or updated_at");
        }
        String order = req.query("sort_order").orElse("desc");
        if (!order.equals("asc") && !order.equals("desc")) throw ApiException.badRequest("sort_order must be asc or desc");
        boolean desc = order.equals("desc");
        int limit = req.queryInt("limit", 10_000, 1, 10_000);
        Optional<Branches.Position> after = req.query("cursor").map(BranchesApi::decodeCursor);
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            List<Branch> page = Branches.page(c, projectId, search, sortBy, desc, after, limit + 1);
            boolean more = page.size() > limit;
            if (more) page = page.subList(0, limit);
            JsonObject annotations = new JsonObject();
            for (Branch b : page) annotations.put(b.id(), annotation(c, b));
            JsonObject out = new JsonObject().put("branches", Views.array(page, ctl.views()::branch)).put("annotations", annotations);
            JsonObject pagination = new JsonObject().put("sort_by", sortBy.name()).put("sort_order", order);
            if (more) pagination.put("next", encodeCursor(sortBy, page.getLast()));
            out.put("pagination", pagination);
            return Reply.ok(out);
        });
    }

    static String encodeCursor(Branches.SortBy sortBy, Branch last) {
        String v = switch (sortBy) {
            case name -> last.name();
            case created_at -> last.createdAt().toString();
            case updated_at -> last.updatedAt().toString();
        };
        String raw = new JsonArray().add(v).add(last.id()).encode();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Branches.Position decodeCursor(String cursor) {
        try {
            JsonArray a = new JsonArray(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            return new Branches.Position(a.getString(0), a.getString(1));
        } catch (RuntimeException e) {
            throw ApiException.badRequest("cursor is not a cursor this server returned");
        }
    }

    private Reply count(Req req) {
        String projectId = req.project();
        Optional<String> search = req.query("search");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            return Reply.ok(new JsonObject().put("count", Branches.count(c, projectId, search)));
        });
    }

    private Reply get(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            return Reply.ok(new JsonObject().put("branch", ctl.views().branch(b)).put("annotation", annotation(c, b)));
        });
    }

    private Reply endpoints(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            Control.branch(c, projectId, id);
            return Reply.ok(new JsonObject().put("endpoints", Views.array(Endpoints.byBranch(c, id), ctl.views()::endpoint)));
        });
    }

    private Reply update(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        JsonObject in = Req.requiredObj(req.body(), "branch", "branch");
        Optional<String> name = Req.str(in, "name", "branch.name").map(n -> Names.displayName(n, "branch.name", 256));
        Optional<Boolean> prot = Req.bool(in, "protected", "branch.protected");
        boolean clearExpiry = in.containsKey("expires_at") && in.getValue("expires_at") == null;
        Optional<Instant> expires = Req.time(in, "expires_at", "branch.expires_at");
        expires.ifPresent(BranchesApi::checkExpiry);
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            if (prot.orElse(false) && !b.isProtected()) checkProtectedLimit(c, projectId);
            if (name.isPresent() && !name.get().equals(b.name()) && Branches.byName(c, projectId, name.get()).isPresent()) {
                throw ApiException.conflict("branch with name " + name.get() + " already exists");
            }
            Branch u = new Branch(b.id(), b.projectId(), name.orElse(b.name()), b.parentId(), b.parentLsn(), b.parentTimestamp(),
                    b.timelineId(), b.currentState(), b.pendingState(), b.stateChangedAt(), b.isDefault(), prot.orElse(b.isProtected()),
                    b.initSource(), clearExpiry ? Optional.empty() : expires.or(b::expiresAt), b.lastResetAt(), b.logicalSize(),
                    b.createdAt(), Instant.now(), b.computeTime());
            if (u.expiresAt().isPresent() && (u.isDefault() || u.isProtected() || !Branches.children(c, id).isEmpty())) {
                throw ApiException.badRequest("branch " + id + " is " + (u.isDefault() ? "the default branch" : u.isProtected()
                        ? "protected" : "a parent of other branches") + " and cannot have expires_at");
            }
            Branches.update(c, u);
            return Reply.ok(new JsonObject().put("branch", ctl.views().branch(u)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply delete(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Optional<Branch> b = Control.branchUnlessGone(c, projectId, id);
            return b.isEmpty() ? Reply.gone() : Reply.ok(deleteBranch(c, b.get(), ops, false));
        });
    }

    /** Deletes {@code b} (its endpoints first, then its timeline) inside the caller's transaction. */
    JsonObject deleteBranch(Connection c, Branch b, OpBatch ops, boolean expired) throws SQLException {
        if (b.isDefault()) throw ApiException.conflict("branch " + b.id() + " is the project's default branch and cannot be deleted");
        if (b.isProtected() && !expired) throw ApiException.conflict("branch " + b.id() + " is protected; unprotect it before deleting");
        List<Branch> children = Branches.children(c, b.id());
        if (!children.isEmpty()) {
            throw ApiException.conflict("branch " + b.id() + " has child branches (" + children.getFirst().id()
                    + (children.size() > 1 ? " and " + (children.size() - 1) + " more" : "") + "); delete them first");
        }
        // a child deleted a moment ago may still be dropping its timeline, which hangs off ours
        List<String> busy = new ArrayList<>(Branches.childIdsIncludingDeleted(c, b.id()));
        busy.add(b.id());
        Control.checkNotLocked(c, busy, "delete branch " + b.id());
        // read again after the check: an operation that just finished may have set its timeline
        b = Control.branch(c, b.projectId(), b.id());
        Instant now = Instant.now();
        for (Endpoint e : Endpoints.byBranch(c, b.id())) {
            Endpoints.markDeleted(c, e.id(), now);
            ops.add(c, OperationAction.delete_compute, b.projectId(), b.id(), e.id(), null);
        }
        Branches.markDeleted(c, b.id(), now);
        ops.add(c, OperationAction.delete_timeline, b.projectId(), b.id(), null,
                new JsonObject().put("timeline_id", b.timelineId().orElse(null)));
        return new JsonObject().put("branch", ctl.views().branch(b)).put("operations", ops.json(ctl.views()));
    }

    /**
     * Deletes every branch whose expires_at has passed (children first; a branch that cannot go yet,
     * e.g. locked or with unexpired children, is retried on the next pass). Returns how many went.
     */
    public int deleteExpired() {
        List<String[]> due = ctl.db().tx(c -> {
            List<String[]> out = new ArrayList<>();
            try (var st = c.createStatement(); var rs = st.executeQuery("select project_id, id from branches where deleted_at is null"
                    + " and expires_at is not null and expires_at <= now() and not is_default order by seq desc limit 100")) {
                while (rs.next()) out.add(new String[]{rs.getString(1), rs.getString(2)});
            }
            return out;
        });
        int deleted = 0;
        for (String[] pb : due) {
            OpBatch ops = new OpBatch();
            try {
                ctl.mutate(ops, c -> {
                    Control.lockProject(c, pb[0]);
                    Branch b = Control.branch(c, pb[0], pb[1]);
                    return deleteBranch(c, b, ops, true);
                });
                deleted++;
            } catch (ApiException e) {
                // not deletable right now (children, running operation): next pass
            }
        }
        return deleted;
    }

    private Reply setDefault(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            Instant now = Instant.now();
            Optional<Branch> old = Branches.defaultBranch(c, projectId);
            if (old.isPresent() && !old.get().id().equals(id)) {
                Branch o = old.get();
                Branches.update(c, new Branch(o.id(), o.projectId(), o.name(), o.parentId(), o.parentLsn(), o.parentTimestamp(),
                        o.timelineId(), o.currentState(), o.pendingState(), o.stateChangedAt(), false, o.isProtected(),
                        o.initSource(), o.expiresAt(), o.lastResetAt(), o.logicalSize(), o.createdAt(), now, o.computeTime()));
            }
            // the default branch never expires
            Branch u = new Branch(b.id(), b.projectId(), b.name(), b.parentId(), b.parentLsn(), b.parentTimestamp(),
                    b.timelineId(), b.currentState(), b.pendingState(), b.stateChangedAt(), true, b.isProtected(),
                    b.initSource(), Optional.empty(), b.lastResetAt(), b.logicalSize(), b.createdAt(), now, b.computeTime());
            Branches.update(c, u);
            return Reply.ok(new JsonObject().put("branch", ctl.views().branch(u)).put("operations", ops.json(ctl.views())));
        });
    }

    /** {@code <name>_old_<timestamp>}, the name a point-in-time restore keeps the old state under; unique in the project. */
    static String backupName(Connection c, String projectId, String name) throws SQLException {
        String stamp = java.time.format.DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String base = name.length() > 200 ? name.substring(0, 200) : name;
        String candidate = base + "_old_" + stamp;
        for (int n = 2; Branches.byName(c, projectId, candidate).isPresent(); n++) candidate = base + "_old_" + stamp + "_" + n;
        return candidate;
    }

    private Reply restore(Req req) {
        String projectId = req.project();
        String id = req.id("branch_id");
        JsonObject in = req.body();
        String sourceId = Req.requiredStr(in, "source_branch_id", "source_branch_id");
        if (!Req.ID.matcher(sourceId).matches()) throw ApiException.badRequest("source_branch_id must match ^[a-z0-9-]{1,60}$");
        Optional<String> lsn = Req.str(in, "source_lsn", "source_lsn");
        lsn.ifPresent(l -> { if (!LSN.matcher(l).matches()) throw ApiException.badRequest("source_lsn must look like 0/16B3748"); });
        Optional<Instant> ts = Req.time(in, "source_timestamp", "source_timestamp");
        if (lsn.isPresent() && ts.isPresent()) throw ApiException.badRequest("give source_lsn or source_timestamp, not both");
        ts.ifPresent(t -> { if (t.isAfter(Instant.now().plusSeconds(5))) throw ApiException.badRequest("source_timestamp is in the future"); });
        Optional<String> preserveAs = Req.str(in, "preserve_under_name", "preserve_under_name")
                .map(n -> Names.displayName(n, "preserve_under_name", 256));
        if (sourceId.equals(id) && lsn.isEmpty() && ts.isEmpty()) {
            throw ApiException.badRequest("restoring a branch from itself needs source_lsn or source_timestamp");
        }
        // A restore to a point in time always keeps the pre-restore state (so an undo is a reset from it): under
        // preserve_under_name, or else as <name>_old_<timestamp>. Neon's API keeps it only when the name is given;
        // its console names the backup this way. A plain reset to a parent's head keeps nothing unless asked.
        boolean pointInTime = lsn.isPresent() || ts.isPresent();
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, id);
            if (dev.arbor.backend.meta.AnonymizedBranches.isAnonymized(c, id)) throw ApiException.badRequest("cannot restore anonymized branches");
            Optional<String> preserve = preserveAs.isPresent() || !pointInTime ? preserveAs : Optional.of(backupName(c, projectId, b.name()));
            Branch source = Branches.get(c, projectId, sourceId).orElseThrow(() -> ApiException.badRequest(
                    "source_branch_id " + sourceId + " is not a branch of project " + projectId));
            if (!sourceId.equals(id) && b.parentId().isEmpty() && preserve.isEmpty()) {
                // a root (or schema-only) branch has no parent to reset to; restoring it from another branch keeps a backup
                throw ApiException.badRequest("branch " + id + " is a root branch" + (b.initSource().equals("schema-only")
                        ? " (schema-only)" : "") + " and cannot be reset; restore it from another branch with preserve_under_name");
            }
            List<Branch> children = Branches.children(c, id);
            if (!children.isEmpty() && preserve.isEmpty()) {
                throw ApiException.badRequest("branch " + id + " has child branches; preserve_under_name is required");
            }
            if (b.isProtected() && preserve.isEmpty()) {
                throw ApiException.conflict("branch " + id + " is protected; restore it with preserve_under_name");
            }
            List<String> busy = new ArrayList<>(Branches.childIdsIncludingDeleted(c, id));
            busy.addAll(List.of(id, sourceId));
            Control.checkNotLocked(c, busy, "restore branch " + id);
            b = Control.branch(c, projectId, id);  // fresh after the check (see deleteBranch)
            source = Control.branch(c, projectId, sourceId);
            if (b.timelineId().isEmpty() || source.timelineId().isEmpty()) {
                throw ApiException.locked("branch is still being created; retry shortly");
            }
            BranchPoint point = lsn.<BranchPoint>map(l -> BranchPoint.at(Lsn.parse(l))).or(() -> ts.map(BranchPoint::at)).orElse(BranchPoint.head());
            TimelineId sourceTl = new TimelineId(source.timelineId().get());
            try {
                ctl.storage().checkBranchPoint(sourceTl, point);
            } catch (StorageException.InvalidLsn e) {
                throw ApiException.badRequest("cannot restore from " + sourceId + " at that point: " + e.getMessage());
            }
            Instant now = Instant.now();
            String newParent = sourceId;
            Branch kept = null;
            if (preserve.isPresent()) {
                if (Branches.byName(c, projectId, preserve.get()).isPresent()) {
                    throw ApiException.conflict("branch with name " + preserve.get() + " already exists");
                }
                // the old timeline lives on under the preserved name; children move with it
                String keptId = Ids.branch();
                kept = new Branch(keptId, projectId, preserve.get(), b.parentId(), b.parentLsn(), b.parentTimestamp(),
                        b.timelineId(), "ready", Optional.empty(), now, false, false, b.initSource(), Optional.empty(),
                        b.lastResetAt(), b.logicalSize(), now, now);
                Branches.insert(c, kept);
                Roles.copy(c, id, keptId, now);
                Databases.copy(c, id, keptId, now);
                try (var ps = c.prepareStatement("update branches set parent_id = ? where parent_id = ? and deleted_at is null and id <> ?")) {
                    ps.setString(1, keptId);
                    ps.setString(2, id);
                    ps.setString(3, keptId);
                    ps.executeUpdate();
                }
                if (sourceId.equals(id)) newParent = keptId;
            }
            List<Endpoint> eps = Endpoints.byBranch(c, id);
            List<Endpoint> running = eps.stream().filter(e -> e.currentState().equals("active")).toList();
            for (Endpoint e : running) ops.add(c, OperationAction.suspend_compute, projectId, id, e.id(), null);
            ops.add(c, OperationAction.create_timeline, projectId, id, null, new JsonObject()
                    .put("replace", true).put("old_timeline", b.timelineId().get())
                    .put("delete_old", preserve.isEmpty())
                    .put("parent_timeline", sourceTl.value()).put("point", Steps.point(point)));
            for (Endpoint e : running) ops.add(c, OperationAction.start_compute, projectId, id, e.id(), null);
            Branch u = new Branch(b.id(), b.projectId(), b.name(), Optional.of(newParent), lsn, ts, b.timelineId(),
                    "resetting", Optional.of("ready"), now, b.isDefault(), b.isProtected(), b.initSource(),
                    // a reset restarts the expiry timer: the same time to live, counted from now
                    b.expiresAt().isPresent() ? Optional.of(now.plus(java.time.Duration.between(b.createdAt(), b.expiresAt().get()))) : Optional.empty(),
                    Optional.of(now), b.logicalSize(), b.createdAt(), now, b.computeTime());
            Branches.update(c, u);
            JsonObject out = new JsonObject().put("branch", ctl.views().branch(u)).put("operations", ops.json(ctl.views()));
            if (kept != null) out.put("preserved_branch", ctl.views().branch(kept));  // Arbor extra: where the old state went
            return Reply.ok(out);
        });
    }
}
