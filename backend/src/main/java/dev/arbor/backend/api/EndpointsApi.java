package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.Projects.Project;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code /projects/{id}/endpoints}: create, list, get, update, delete, start, suspend, restart. */
public final class EndpointsApi implements Consumer<Routes> {
    private final Control ctl;

    public EndpointsApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.post("/projects/:project_id/endpoints", this::create);
        r.get("/projects/:project_id/endpoints", this::list);
        r.get("/projects/:project_id/endpoints/:endpoint_id", this::get);
        r.patch("/projects/:project_id/endpoints/:endpoint_id", this::update);
        r.delete("/projects/:project_id/endpoints/:endpoint_id", this::delete);
        r.post("/projects/:project_id/endpoints/:endpoint_id/start", req -> transition(req, "start"));
        r.post("/projects/:project_id/endpoints/:endpoint_id/suspend", req -> transition(req, "suspend"));
        r.post("/projects/:project_id/endpoints/:endpoint_id/restart", req -> transition(req, "restart"));
    }

    private Reply create(Req req) {
        String projectId = req.project();
        JsonObject in = Req.requiredObj(req.body(), "endpoint", "endpoint");
        String branchId = Req.requiredStr(in, "branch_id", "endpoint.branch_id");
        if (!Req.ID.matcher(branchId).matches()) throw ApiException.badRequest("endpoint.branch_id must match ^[a-z0-9-]{1,60}$");
        String type = EndpointInput.type(in, "endpoint");
        Req.str(in, "region_id", "endpoint.region_id").ifPresent(rg -> {
            if (!rg.equals(ConnectionInfo.REGION)) throw ApiException.badRequest("endpoint.region_id " + Req.quote(rg) + " is not available");
        });
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Project p = Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, branchId);
            if (type.equals("read_write") && Endpoints.byBranch(c, branchId).stream().anyMatch(e -> e.type().equals("read_write"))) {
                throw ApiException.conflict("branch " + branchId + " already has a read_write endpoint");
            }
            Endpoint ep = ProjectsApi.newEndpoint(p, b.id(), type, in, Instant.now());
            if (!ep.disabled() && Endpoints.countEnabled(c, projectId) >= ctl.quotas().maxActiveEndpointsPerProject()) {
                throw ApiException.quota("ENDPOINTS_LIMIT_EXCEEDED", "project " + projectId + " has reached its limit of "
                        + ctl.quotas().maxActiveEndpointsPerProject() + " endpoints");
            }
            Endpoints.insert(c, ep);
            ops.add(c, OperationAction.start_compute, projectId, b.id(), ep.id(), null);
            return Reply.created(new JsonObject().put("endpoint", ctl.views().endpoint(ep)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply list(Req req) {
        String projectId = req.project();
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            return Reply.ok(new JsonObject().put("endpoints", Views.array(Endpoints.byProject(c, projectId), ctl.views()::endpoint)));
        });
    }

    private Reply get(Req req) {
        String projectId = req.project();
        String id = req.id("endpoint_id");
        return ctl.db().tx(c -> {
            Control.project(c, projectId);
            return Reply.ok(new JsonObject().put("endpoint", ctl.views().endpoint(Control.endpoint(c, projectId, id))));
        });
    }

    private static void checkIdle(Connection c, String endpointId, String what) throws SQLException {
        try (var ps = c.prepareStatement("select id, action, status from operations where endpoint_id = ? and status in ('scheduling', 'running') limit 1")) {
            ps.setString(1, endpointId);
            try (var rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw ApiException.locked("cannot " + what + " while operation " + rs.getString(1) + " (" + rs.getString(2)
                            + ") on endpoint " + endpointId + " is " + rs.getString(3) + "; retry shortly");
                }
            }
        }
    }

    private Reply update(Req req) {
        String projectId = req.project();
        String id = req.id("endpoint_id");
        JsonObject in = Req.requiredObj(req.body(), "endpoint", "endpoint");
        Optional<Double> min = EndpointInput.cu(in, "autoscaling_limit_min_cu", "endpoint");
        Optional<Double> max = EndpointInput.cu(in, "autoscaling_limit_max_cu", "endpoint");
        Optional<Integer> suspend = EndpointInput.suspendTimeout(in, "endpoint");
        Optional<JsonObject> settings = in.containsKey("settings") ? Optional.of(EndpointInput.settings(in, "endpoint")) : Optional.empty();
        Optional<Boolean> disabled = Req.bool(in, "disabled", "endpoint.disabled");
        Optional<Boolean> passwordless = Req.bool(in, "passwordless_access", "endpoint.passwordless_access");
        Optional<String> name = Req.str(in, "name", "endpoint.name").map(n -> Names.displayName(n, "endpoint.name", 64));
        Optional<String> moveTo = Req.str(in, "branch_id", "endpoint.branch_id");
        moveTo.ifPresent(b -> { if (!Req.ID.matcher(b).matches()) throw ApiException.badRequest("endpoint.branch_id must match ^[a-z0-9-]{1,60}$"); });
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Endpoint e = Control.endpoint(c, projectId, id);
            checkIdle(c, id, "update endpoint " + id);
            double nmin = min.orElse(e.minCu());
            double nmax = max.orElse(Math.max(nmin, e.maxCu()));
            EndpointInput.checkRange(nmin, nmax, "endpoint");
            String branchId = e.branchId();
            if (moveTo.isPresent() && !moveTo.get().equals(e.branchId())) {
                Branch target = Control.branch(c, projectId, moveTo.get());
                if (e.type().equals("read_write") && Endpoints.byBranch(c, target.id()).stream().anyMatch(x -> x.type().equals("read_write"))) {
                    throw ApiException.conflict("branch " + target.id() + " already has a read_write endpoint");
                }
                branchId = target.id();
            }
            boolean nowDisabled = disabled.orElse(e.disabled());
            if (e.disabled() && !nowDisabled && Endpoints.countEnabled(c, projectId) >= ctl.quotas().maxActiveEndpointsPerProject()) {
                throw ApiException.quota("ENDPOINTS_LIMIT_EXCEEDED", "project " + projectId + " has reached its limit of "
                        + ctl.quotas().maxActiveEndpointsPerProject() + " endpoints");
            }
            Instant now = Instant.now();
            Endpoint u = new Endpoint(e.id(), e.projectId(), branchId, e.type(), e.currentState(), e.pendingState(), nmin, nmax,
                    suspend.orElse(e.suspendTimeoutSeconds()), settings.orElse(e.settings()), nowDisabled,
                    passwordless.orElse(e.passwordlessAccess()), name.or(e::name), e.provisioner(), e.createdAt(), now,
                    e.startedAt(), e.suspendedAt(), e.lastActive());
            Endpoints.update(c, u);
            boolean moved = !branchId.equals(e.branchId());
            if (e.currentState().equals("active")) {
                if (nowDisabled || moved) ops.add(c, OperationAction.suspend_compute, projectId, e.branchId(), id, null);
                if (moved && !nowDisabled) ops.add(c, OperationAction.start_compute, projectId, branchId, id, null);
                else if (!nowDisabled) ops.add(c, OperationAction.apply_config, projectId, branchId, id, null);
            }
            return Reply.ok(new JsonObject().put("endpoint", ctl.views().endpoint(u)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply delete(Req req) {
        String projectId = req.project();
        String id = req.id("endpoint_id");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Optional<Endpoint> live = Control.endpointUnlessGone(c, projectId, id);
            if (live.isEmpty()) return Reply.gone();
            Endpoint e = live.get();
            checkIdle(c, id, "delete endpoint " + id);
            Endpoints.markDeleted(c, id, Instant.now());
            ops.add(c, OperationAction.delete_compute, projectId, e.branchId(), id, null);
            return Reply.ok(new JsonObject().put("endpoint", ctl.views().endpoint(e)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply transition(Req req, String what) {
        String projectId = req.project();
        String id = req.id("endpoint_id");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Endpoint e = Control.endpoint(c, projectId, id);
            checkIdle(c, id, what + " endpoint " + id);
            if (!what.equals("suspend")) AnonymizedBranchesApi.checkNotAnonymizing(c, e.branchId());
            if (e.disabled() && !what.equals("suspend")) throw ApiException.conflict("endpoint " + id + " is disabled");
            Instant now = Instant.now();
            Endpoint u = switch (what) {
                case "start" -> {
                    ops.add(c, OperationAction.start_compute, projectId, e.branchId(), id, null);
                    yield e.withState(e.currentState(), Optional.of("active"), now);
                }
                case "suspend" -> {
                    ops.add(c, OperationAction.suspend_compute, projectId, e.branchId(), id, null);
                    yield e.withState(e.currentState(), Optional.of("idle"), now);
                }
                default -> {
                    ops.add(c, OperationAction.suspend_compute, projectId, e.branchId(), id, null);
                    ops.add(c, OperationAction.start_compute, projectId, e.branchId(), id, null);
                    yield e.withState(e.currentState(), Optional.of("active"), now);
                }
            };
            Endpoints.update(c, u);
            return Reply.ok(new JsonObject().put("endpoint", ctl.views().endpoint(u)).put("operations", ops.json(ctl.views())));
        });
    }
}
