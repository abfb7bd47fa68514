package dev.arbor.backend.api;

import dev.arbor.backend.meta.ApiKeys.ApiKey;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases.Database;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Projects.Project;
import dev.arbor.backend.meta.Roles.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.function.Function;

/** JSON shapes of Neon's API v2 schemas, built from metadata rows. */
public final class Views {
    public static final String PLATFORM = "arbor";
    public static final String PROVISIONER = "k8s-pod";
    public static final String OWNER_ID = "arbor-admin";

    private final ConnectionInfo conn;

    public Views(ConnectionInfo conn) { this.conn = conn; }

    public static String ts(Instant t) { return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString(); }

    public static <T> JsonArray array(Collection<T> items, Function<T, JsonObject> f) {
        JsonArray a = new JsonArray();
        items.forEach(i -> a.add(f.apply(i)));
        return a;
    }

    public JsonObject project(Project p) {
        Instant now = Instant.now();
        Instant periodStart = now.atZone(ZoneOffset.UTC).with(TemporalAdjusters.firstDayOfMonth()).toLocalDate()
                .atStartOfDay().toInstant(ZoneOffset.UTC);
        JsonObject o = base(p)
                .put("consumption_period_start", ts(periodStart))
                .put("consumption_period_end", ts(periodStart.atZone(ZoneOffset.UTC).plusMonths(1).toInstant()))
                .put("data_storage_bytes_hour", 0).put("data_transfer_bytes", 0).put("written_data_bytes", 0)
                .put("compute_time_seconds", 0).put("active_time_seconds", 0).put("cpu_used_sec", 0);
        return o;
    }

    public JsonObject projectListItem(Project p) {
        return base(p).put("active_time", 0).put("cpu_used_sec", 0);
    }

    private JsonObject base(Project p) {
        JsonObject o = new JsonObject()
                .put("id", p.id()).put("platform_id", PLATFORM).put("region_id", p.regionId()).put("name", p.name())
                .put("provisioner", PROVISIONER)
                .put("default_endpoint_settings", defaultEndpointSettings(p))
                .put("settings", settings(p))
                .put("pg_version", p.pgVersion()).put("proxy_host", conn.proxyHost())
                .put("branch_logical_size_limit", 0).put("branch_logical_size_limit_bytes", -1)
                .put("store_passwords", p.storePasswords()).put("creation_source", "console")
                .put("history_retention_seconds", p.historyRetentionSeconds())
                .put("created_at", ts(p.createdAt())).put("updated_at", ts(p.updatedAt()))
                .put("owner_id", OWNER_ID);
        p.orgId().ifPresent(org -> o.put("org_id", org));
        return o;
    }

    private static JsonObject defaultEndpointSettings(Project p) {
        JsonObject d = p.defaultEndpointSettings().copy();
        if (!d.containsKey("autoscaling_limit_min_cu")) d.put("autoscaling_limit_min_cu", 0.25);
        if (!d.containsKey("autoscaling_limit_max_cu")) d.put("autoscaling_limit_max_cu", 0.25);
        if (!d.containsKey("suspend_timeout_seconds")) d.put("suspend_timeout_seconds", 0);
        return d;
    }

    private static JsonObject settings(Project p) {
        JsonObject s = p.settings().copy();
        if (!s.containsKey("allowed_ips")) s.put("allowed_ips", new JsonObject().put("ips", new JsonArray()).put("protected_branches_only", false));
        if (!s.containsKey("enable_logical_replication")) s.put("enable_logical_replication", false);
        return s;
    }

    public JsonObject branch(Branch b) {
        JsonObject o = new JsonObject().put("id", b.id()).put("project_id", b.projectId());
        b.parentId().ifPresent(v -> o.put("parent_id", v));
        b.parentLsn().ifPresent(v -> o.put("parent_lsn", v));
        b.parentTimestamp().ifPresent(v -> o.put("parent_timestamp", ts(v)));
        o.put("name", b.name()).put("current_state", b.currentState());
        b.pendingState().ifPresent(v -> o.put("pending_state", v));
        o.put("state_changed_at", ts(b.stateChangedAt()));
        b.logicalSize().ifPresent(v -> o.put("logical_size", v));
        o.put("creation_source", "console").put("primary", b.isDefault()).put("default", b.isDefault())
                .put("protected", b.isProtected())
                .put("cpu_used_sec", 0)
                .put("compute_time_seconds", (long) b.computeTime().computeSeconds())
                .put("active_time_seconds", (long) b.computeTime().activeSeconds())
                .put("written_data_bytes", 0).put("data_transfer_bytes", 0)
                .put("created_at", ts(b.createdAt())).put("updated_at", ts(b.updatedAt()));
        b.expiresAt().ifPresent(v -> o.put("expires_at", ts(v))
                .put("ttl_interval_seconds", Math.max(0, v.getEpochSecond() - b.createdAt().getEpochSecond())));
        b.lastResetAt().ifPresent(v -> o.put("last_reset_at", ts(v)));
        o.put("init_source", b.initSource());
        return o;
    }

    public JsonObject endpoint(Endpoint e) {
        JsonObject o = new JsonObject()
                .put("host", conn.host(e.id())).put("id", e.id()).put("project_id", e.projectId()).put("branch_id", e.branchId())
                .put("autoscaling_limit_min_cu", e.minCu()).put("autoscaling_limit_max_cu", e.maxCu())
                .put("region_id", conn.regionId()).put("type", e.type()).put("current_state", e.currentState());
        e.pendingState().ifPresent(v -> o.put("pending_state", v));
        o.put("settings", e.settings()).put("pooler_enabled", false).put("pooler_mode", "transaction")
                .put("disabled", e.disabled()).put("passwordless_access", e.passwordlessAccess())
                .put("creation_source", "console").put("created_at", ts(e.createdAt())).put("updated_at", ts(e.updatedAt()))
                .put("proxy_host", conn.proxyHost()).put("suspend_timeout_seconds", e.suspendTimeoutSeconds())
                .put("provisioner", e.provisioner());
        e.name().ifPresent(v -> o.put("name", v));
        e.lastActive().ifPresent(v -> o.put("last_active", ts(v)));
        e.startedAt().ifPresent(v -> o.put("started_at", ts(v)));
        e.suspendedAt().ifPresent(v -> o.put("suspended_at", ts(v)));
        return o;
    }

    /** {@code password} only on create, reset and reveal; never in lists. */
    public JsonObject role(Role r, String password) {
        JsonObject o = new JsonObject().put("branch_id", r.branchId()).put("name", r.name())
                .put("protected", r.isProtected())
                .put("authentication_method", r.noLogin() ? "no_login" : "password")
                .put("created_at", ts(r.createdAt())).put("updated_at", ts(r.updatedAt()));
        if (password != null) o.put("password", password);
        return o;
    }

    public JsonObject database(Database d) {
        return new JsonObject().put("id", d.id()).put("branch_id", d.branchId()).put("name", d.name())
                .put("owner_name", d.ownerName()).put("created_at", ts(d.createdAt())).put("updated_at", ts(d.updatedAt()));
    }

    public JsonObject operation(Operation op) {
        JsonObject o = new JsonObject().put("id", op.id().toString()).put("project_id", op.projectId());
        op.branchId().ifPresent(v -> o.put("branch_id", v));
        op.endpointId().ifPresent(v -> o.put("endpoint_id", v));
        o.put("action", op.action().name()).put("status", op.status().name()).put("failures_count", op.failuresCount());
        op.error().ifPresent(v -> o.put("error", v));
        o.put("created_at", ts(op.createdAt())).put("updated_at", ts(op.updatedAt())).put("total_duration_ms", op.totalDurationMs());
        // long operations (twin import) report how far they are; Neon clients ignore the extra field
        if (op.params().getValue("progress") instanceof JsonObject p) o.put("progress", p);
        return o;
    }

    public JsonObject apiKey(ApiKey k) {
        JsonObject o = new JsonObject().put("id", k.id()).put("name", k.name()).put("created_at", ts(k.createdAt()))
                .put("created_by", new JsonObject().put("id", k.createdBy()).put("name", k.createdBy()).put("image", ""));
        k.projectId().ifPresent(v -> o.put("project_id", v));
        k.lastUsedAt().ifPresent(v -> o.put("last_used_at", ts(v)));
        k.lastUsedFrom().ifPresent(v -> o.put("last_used_from_addr", v));
        return o;
    }
}
