package dev.arbor.backend.ops;

import dev.arbor.backend.meta.AnonymizedBranches;
import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Operations;
import dev.arbor.backend.meta.Projects;
import dev.arbor.backend.meta.Roles;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.storage.TimelineId;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds {@link EndpointSpec}s from metadata, and takes compute's reports of state changes. */
public final class ComputeSpecs implements EndpointRegistry {
    private final Db db;
    private final Secrets secrets;

    /** The server's secret box (the anonymization step decrypts masking keys with it). */
    public Secrets secrets() { return secrets; }

    public ComputeSpecs(Db db, Secrets secrets) {
        this.db = db;
        this.secrets = secrets;
    }

    /** How long a connection waits for an endpoint whose branch is still being created or changed. */
    private static final java.time.Duration PENDING_WAIT = java.time.Duration.ofSeconds(120);

    /** An endpoint's spec, or that its branch still has operations under way (no timeline, roles not applied yet). */
    private record Lookup(Optional<EndpointSpec> spec, boolean pending) {}

    /**
     * The proxy wakes endpoints through here (on a worker thread). A client that connects right after a
     * create simply waits until the branch's operations have finished, as with Neon, instead of being told
     * the endpoint does not exist.
     */
    @Override
    public Optional<EndpointSpec> spec(String endpointId) {
        long deadline = System.nanoTime() + PENDING_WAIT.toNanos();
        while (true) {
            Lookup l = db.tx(c -> lookup(c, endpointId));
            if (!l.pending() || System.nanoTime() > deadline) return l.spec();
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return l.spec();
            }
        }
    }

    @Override
    public Optional<EndpointSpec> branchSpec(String branchId) {
        Optional<String> endpointId = db.tx(c -> Endpoints.byBranch(c, branchId).stream()
                .sorted(java.util.Comparator.comparing(e -> !"read_write".equals(e.type())))
                .map(Endpoint::id).findFirst());
        return endpointId.flatMap(this::spec);
    }

    private Lookup lookup(Connection c, String endpointId) throws SQLException {
        Optional<Endpoint> e = Endpoints.getAny(c, endpointId);
        if (e.isEmpty()) return new Lookup(Optional.empty(), false);
        boolean busy = Operations.unfinishedFor(c, List.of(e.get().branchId())).stream().anyMatch(o -> o.action().holdsConnections());
        // none of an anonymized branch's endpoints may serve half-masked data
        if (busy && AnonymizedBranches.get(c, e.get().branchId())
                .filter(a -> a.state() == AnonymizedBranches.State.anonymizing).isPresent()) {
            throw new IllegalStateException("branch " + e.get().branchId() + " is being anonymized; connect again when it is anonymized");
        }
        return new Lookup(build(c, e.get()), busy);
    }

    @Override
    public java.util.List<EndpointSpec> activeSpecs() {
        return db.tx(c -> {
            java.util.List<EndpointSpec> out = new java.util.ArrayList<>();
            try (var st = c.createStatement(); var rs = st.executeQuery(
                    "select id from endpoints where deleted_at is null and not disabled and current_state = 'active' order by seq")) {
                while (rs.next()) {
                    Optional<Endpoint> e = Endpoints.getAny(c, rs.getString(1));
                    if (e.isPresent()) build(c, e.get()).ifPresent(out::add);
                }
            }
            return out;
        });
    }

    /** The spec of {@code e}; empty while its branch has no timeline yet. */
    public Optional<EndpointSpec> build(Connection c, Endpoint e) throws SQLException {
        var branch = Branches.getIncludingDeleted(c, e.branchId()).orElseThrow();
        if (branch.timelineId().isEmpty()) return Optional.empty();
        var project = Projects.get(c, e.projectId());
        int pgVersion = project.map(Projects.Project::pgVersion).orElse(15);
        var roles = Roles.byBranch(c, branch.id()).stream()
                .map(r -> new EndpointSpec.RoleSpec(r.name(), r.passwordEnc().map(secrets::decrypt).orElse(null), r.noLogin()))
                .toList();
        var dbs = Databases.byBranch(c, branch.id()).stream()
                .map(d -> new EndpointSpec.DatabaseSpec(d.name(), d.ownerName())).toList();
        Map<String, String> pg = new LinkedHashMap<>();
        var pgSettings = e.settings().getJsonObject("pg_settings");
        if (pgSettings != null) pgSettings.forEach(en -> pg.put(en.getKey(), String.valueOf(en.getValue())));
        return Optional.of(new EndpointSpec(e.projectId(), e.id(), branch.id(), new TimelineId(branch.timelineId().get()),
                e.type(), pgVersion, e.minCu(), e.maxCu(), e.suspendTimeoutSeconds(), Map.copyOf(pg), roles, dbs));
    }

    @Override
    public void reportActive(String endpointId) { setState(endpointId, "active"); }

    @Override
    public void reportIdle(String endpointId) { setState(endpointId, "idle"); }

    void setState(String endpointId, String state) {
        db.tx(c -> {
            Optional<Endpoint> e = Endpoints.getAny(c, endpointId);
            if (e.isPresent() && (!e.get().currentState().equals(state) || e.get().pendingState().isPresent())) {
                Endpoints.update(c, e.get().withState(state, Optional.empty(), Instant.now()));
            }
            return null;
        });
    }
}
