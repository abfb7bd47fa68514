package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Ids;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.Projects;
import dev.arbor.backend.meta.Projects.Project;
import dev.arbor.backend.meta.Roles;
import dev.arbor.backend.meta.Roles.Role;
import dev.arbor.backend.meta.Secrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code /projects}: create (with branch main, owner role, database and a read-write endpoint), list, get, update, delete. */
public final class ProjectsApi implements Consumer<Routes> {
    public static final int PG_VERSION = 15;
    static final int DEFAULT_RETENTION = 86_400;
    static final int MAX_RETENTION = 2_592_000;

    private final Control ctl;

    public ProjectsApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.get("/projects", this::list);
        r.get("/projects/shared", req -> Reply.ok(new JsonObject().put("projects", new JsonArray())
                .put("applications", new JsonObject()).put("integrations", new JsonObject())));
        r.post("/projects", this::create);
        r.get("/projects/:project_id", this::get);
        r.patch("/projects/:project_id", this::update);
        r.delete("/projects/:project_id", this::delete);
        r.get("/projects/:project_id/connection_uri", this::connectionUri);
    }

    private Reply list(Req req) {
        int limit = req.queryInt("limit", 10, 1, 400);
        Optional<String> cursor = req.query("cursor");
        Optional<String> search = req.query("search");
        List<Project> page = ctl.db().tx(c -> Projects.page(c, cursor, limit, search, req.principal().projectId()));
        JsonObject out = new JsonObject().put("projects", Views.array(page, ctl.views()::projectListItem))
                .put("applications", new JsonObject()).put("integrations", new JsonObject());
        // Neon always returns the cursor; clients stop when a page is shorter than the limit
        String next = page.isEmpty() ? cursor.orElse("") : page.getLast().id();
        out.put("pagination", new JsonObject().put("cursor", next));
        return Reply.ok(out);
    }

    private Reply get(Req req) {
        String id = req.project();
        return Reply.ok(new JsonObject().put("project", ctl.views().project(ctl.db().tx(c -> Control.project(c, id)))));
    }

    private Reply create(Req req) {
        req.principal().requireAdmin("create projects");
        JsonObject in = Req.requiredObj(req.body(), "project", "project");
        String id = Ids.project();
        String name = Req.str(in, "name", "project.name").map(n -> Names.displayName(n, "project.name", 256)).orElse(id);
        String region = Req.str(in, "region_id", "project.region_id").orElse(ConnectionInfo.REGION);
        if (!region.equals(ConnectionInfo.REGION)) {
            throw ApiException.badRequest("project.region_id " + Req.quote(region) + " is not available; this server has region " + ConnectionInfo.REGION);
        }
        int pg = Req.integer(in, "pg_version", "project.pg_version").orElse(PG_VERSION);
        if (pg != PG_VERSION) throw ApiException.badRequest("project.pg_version " + pg + " is not available; this server runs PostgreSQL " + PG_VERSION);
        int retention = Req.integer(in, "history_retention_seconds", "project.history_retention_seconds").orElse(DEFAULT_RETENTION);
        checkRetention(retention);
        boolean storePasswords = Req.bool(in, "store_passwords", "project.store_passwords").orElse(true);
        Optional<String> org = Req.str(in, "org_id", "project.org_id");
        org.ifPresent(o -> { if (!Req.ID.matcher(o).matches()) throw ApiException.badRequest("project.org_id must match ^[a-z0-9-]{1,60}$"); });
        JsonObject settings = Req.obj(in, "settings", "project.settings").orElse(new JsonObject());
        JsonObject des = defaultEndpointSettings(in);
        JsonObject branchIn = Req.obj(in, "branch", "project.branch").orElse(new JsonObject());
        String branchName = Req.str(branchIn, "name", "project.branch.name").map(n -> Names.displayName(n, "project.branch.name", 256)).orElse("main");
        String roleName = Req.str(branchIn, "role_name", "project.branch.role_name").map(n -> Names.roleName(n, "project.branch.role_name")).orElse("neondb_owner");
        String dbName = Req.str(branchIn, "database_name", "project.branch.database_name").map(n -> Names.databaseName(n, "project.branch.database_name")).orElse("neondb");

        OpBatch ops = new OpBatch();
        String password = Secrets.newPassword();
        return ctl.mutate(ops, c -> {
            if (Projects.countLive(c) >= ctl.quotas().maxProjects()) {
                throw ApiException.quota("PROJECTS_LIMIT_EXCEEDED", "project limit of " + ctl.quotas().maxProjects() + " reached");
            }
            Instant now = Instant.now();
            Project p = new Project(id, name, region, pg, org, retention, storePasswords, settings, des, now, now);
            Projects.insert(c, p);
            String branchId = Ids.branch();
            Branch b = new Branch(branchId, id, branchName, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    "init", Optional.of("ready"), now, true, false, "parent-data", Optional.empty(), Optional.empty(),
                    Optional.empty(), now, now);
            Branches.insert(c, b);
            Role role = new Role(branchId, roleName, Optional.of(ctl.secrets().encrypt(password)), false, false, now, now);
            Roles.insert(c, role);
            var database = Databases.insert(c, branchId, dbName, roleName, now);
            Endpoint ep = newEndpoint(p, branchId, "read_write", new JsonObject(), now);
            Endpoints.insert(c, ep);
            ops.add(c, OperationAction.create_timeline, id, branchId, null,
                    new JsonObject().put("root", true).put("retention_seconds", retention));
            ops.add(c, OperationAction.start_compute, id, branchId, ep.id(), null);
            Views v = ctl.views();
            return Reply.created(new JsonObject()
                    .put("project", v.project(p))
                    .put("connection_uris", new JsonArray().add(ctl.conn().details(ep.id(), roleName, password, dbName)))
                    .put("roles", new JsonArray().add(v.role(role, password)))
                    .put("databases", new JsonArray().add(v.database(database)))
                    .put("operations", ops.json(v))
                    .put("branch", v.branch(b))
                    .put("endpoints", new JsonArray().add(v.endpoint(ep))));
        });
    }

    /** A new endpoint row (state init, heading for active) with sizing from {@code in} or the project's defaults. */
    static Endpoint newEndpoint(Project p, String branchId, String type, JsonObject in, Instant now) {
        JsonObject d = p.defaultEndpointSettings();
        double min = EndpointInput.cu(in, "autoscaling_limit_min_cu", "endpoint").orElse(d.getDouble("autoscaling_limit_min_cu", 0.25));
        double max = EndpointInput.cu(in, "autoscaling_limit_max_cu", "endpoint").orElse(Math.max(min, d.getDouble("autoscaling_limit_max_cu", min)));
        EndpointInput.checkRange(min, max, "endpoint");
        int suspend = EndpointInput.suspendTimeout(in, "endpoint").orElse(d.getInteger("suspend_timeout_seconds", 0));
        JsonObject settings = EndpointInput.settings(in, "endpoint");
        if (!settings.containsKey("pg_settings") && d.containsKey("pg_settings")) settings.put("pg_settings", d.getJsonObject("pg_settings"));
        Optional<String> name = Req.str(in, "name", "endpoint.name").map(n -> Names.displayName(n, "endpoint.name", 64));
        boolean disabled = Req.bool(in, "disabled", "endpoint.disabled").orElse(false);
        boolean passwordless = Req.bool(in, "passwordless_access", "endpoint.passwordless_access").orElse(false);
        return new Endpoint(Ids.endpoint(), p.id(), branchId, type, "init", Optional.of("active"), min, max, suspend, settings,
                disabled, passwordless, name, Views.PROVISIONER, now, now, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private static JsonObject defaultEndpointSettings(JsonObject in) {
        JsonObject d = Req.obj(in, "default_endpoint_settings", "project.default_endpoint_settings").orElse(new JsonObject());
        JsonObject out = new JsonObject();
        String w = "project.default_endpoint_settings";
        double min = EndpointInput.cu(d, "autoscaling_limit_min_cu", w).orElse(0.25);
        double max = EndpointInput.cu(d, "autoscaling_limit_max_cu", w).orElse(Math.max(min, 0.25));
        EndpointInput.checkRange(min, max, w);
        out.put("autoscaling_limit_min_cu", min).put("autoscaling_limit_max_cu", max)
                .put("suspend_timeout_seconds", EndpointInput.suspendTimeout(d, w).orElse(0));
        JsonObject s = EndpointInput.settings(new JsonObject().put("settings", new JsonObject().put("pg_settings",
                Req.obj(d, "pg_settings", w + ".pg_settings").orElse(new JsonObject()))), w);
        if (!s.getJsonObject("pg_settings").isEmpty()) out.put("pg_settings", s.getJsonObject("pg_settings"));
        return out;
    }

    private static void checkRetention(int retention) {
        if (retention < 0 || retention > MAX_RETENTION) {
            throw ApiException.badRequest("project.history_retention_seconds must be between 0 and " + MAX_RETENTION);
        }
    }

    private Reply update(Req req) {
        String id = req.project();
        JsonObject in = Req.requiredObj(req.body(), "project", "project");
        Optional<String> name = Req.str(in, "name", "project.name").map(n -> Names.displayName(n, "project.name", 256));
        Optional<Integer> retention = Req.integer(in, "history_retention_seconds", "project.history_retention_seconds");
        retention.ifPresent(ProjectsApi::checkRetention);
        Optional<JsonObject> settings = Req.obj(in, "settings", "project.settings");
        Optional<JsonObject> des = in.containsKey("default_endpoint_settings") ? Optional.of(defaultEndpointSettings(in)) : Optional.empty();
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Project p = Control.lockProject(c, id);
            JsonObject mergedSettings = p.settings().copy();
            settings.ifPresent(s -> s.forEach(e -> mergedSettings.put(e.getKey(), e.getValue())));
            Project u = new Project(p.id(), name.orElse(p.name()), p.regionId(), p.pgVersion(), p.orgId(),
                    retention.orElse(p.historyRetentionSeconds()), p.storePasswords(), mergedSettings,
                    des.orElse(p.defaultEndpointSettings()), p.createdAt(), Instant.now());
            Projects.update(c, u);
            return Reply.ok(new JsonObject().put("project", ctl.views().project(u)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply delete(Req req) {
        String id = req.project();
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Project p = Control.lockProject(c, id);
            Control.checkNotLocked(c, Branches.all(c, id).stream().map(Branch::id).toList(), "delete project " + id);
            List<Branch> branches = Branches.all(c, id);  // after the check: timelines set by just-finished operations
            Instant now = Instant.now();
            for (Endpoint e : Endpoints.byProject(c, id)) {
                Endpoints.markDeleted(c, e.id(), now);
                ops.add(c, OperationAction.delete_compute, id, e.branchId(), e.id(), null);
            }
            // children before parents: a timeline is deleted only after its children
            for (Branch b : branches.reversed()) {
                Branches.markDeleted(c, b.id(), now);
                ops.add(c, OperationAction.delete_timeline, id, b.id(), null,
                        new JsonObject().put("timeline_id", b.timelineId().orElse(null)));
            }
            Projects.markDeleted(c, id, now);
            return Reply.ok(new JsonObject().put("project", ctl.views().project(p)));
        });
    }

    private Reply connectionUri(Req req) {
        String id = req.project();
        String dbName = req.query("database_name").orElseThrow(() -> ApiException.badRequest("database_name is required"));
        String roleName = req.query("role_name").orElseThrow(() -> ApiException.badRequest("role_name is required"));
        boolean pooled = req.queryBool("pooled");
        Optional<String> branchQ = req.query("branch_id");
        Optional<String> endpointQ = req.query("endpoint_id");
        branchQ.ifPresent(b -> { if (!Req.ID.matcher(b).matches()) throw ApiException.badRequest("branch_id must match ^[a-z0-9-]{1,60}$"); });
        endpointQ.ifPresent(b -> { if (!Req.ID.matcher(b).matches()) throw ApiException.badRequest("endpoint_id must match ^[a-z0-9-]{1,60}$"); });
        return ctl.db().tx(c -> {
            Project p = Control.project(c, id);
            Endpoint ep;
            Branch b;
            if (endpointQ.isPresent()) {
                ep = Control.endpoint(c, id, endpointQ.get());
                b = Control.branch(c, id, ep.branchId());
            } else {
                b = branchQ.isPresent() ? Control.branch(c, id, branchQ.get())
                        : Branches.defaultBranch(c, id).orElseThrow(() -> ApiException.notFound("project has no default branch"));
                List<Endpoint> eps = Endpoints.byBranch(c, b.id());
                ep = eps.stream().filter(e -> e.type().equals("read_write")).findFirst()
                        .or(() -> eps.stream().findFirst())
                        .orElseThrow(() -> ApiException.notFound("branch " + b.id() + " has no endpoint"));
            }
            Role role = Roles.get(c, b.id(), roleName).orElseThrow(() -> ApiException.notFound("role " + roleName + " not found on branch " + b.id()));
            Databases.get(c, b.id(), dbName).orElseThrow(() -> ApiException.notFound("database " + dbName + " not found on branch " + b.id()));
            String pw = p.storePasswords() ? role.passwordEnc().map(ctl.secrets()::decrypt).orElse(null) : null;
            return Reply.ok(new JsonObject().put("uri", ctl.conn().uri(ep.id(), roleName, pw, dbName, pooled)));
        });
    }
}
