package dev.arbor.backend.cluster;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.ComputeSpecs;
import dev.arbor.backend.ops.EndpointRegistry;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.backend.ops.OperationExecutor;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This node's part in a multi-node deployment. A project is served (its timelines attached to this node's
 * page store, its endpoints run, its operations executed) only while this node holds its lease row. Every
 * ttl/3 the node renews its leases, takes over projects whose lease expired (a dead node's), and runs their
 * unfinished operations; every upload interval it pushes new writes to the bucket. A node that cannot renew
 * for half the ttl stops serving on its own, and past 5/6 of it holds every write to the bucket, before
 * anyone else may take over.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    /** Where a project is served. */
    public sealed interface Route {
        record Local() implements Route {}
        record Remote(String nodeId, String apiUrl, String proxyHost, int proxyPort) implements Route {}
    }

    private final NodeConfig config;
    private final Db db;
    private final PageStore store;
    private final ComputeSpecs specs;
    private volatile OperationExecutor executor;
    private volatile ComputeControl compute;
    private final Set<String> owned = ConcurrentHashMap.newKeySet();
    private final Map<String, Object> adoptLocks = new ConcurrentHashMap<>();
    // renewal gets a thread of its own: a takeover downloading a large project must not delay it past the ttl
    private final ScheduledExecutorService ticks = Executors.newScheduledThreadPool(3,
            Thread.ofPlatform().name("cluster-", 0).daemon().factory());
    private volatile long lastRenewNanos = System.nanoTime();
    private volatile boolean closed;

    public ClusterNode(NodeConfig config, Db db, PageStore store, ComputeSpecs specs) {
        this.config = config;
        this.db = db;
        this.store = store;
        this.specs = specs;
    }

    public NodeConfig config() { return config; }

    /** Projects this node serves now (metrics, tests). */
    public Set<String> owned() { return Set.copyOf(owned); }

    /** Joins the cluster: registers where this node's API and proxy are, then starts renewing and taking over. */
    public void start(OperationExecutor executor, ComputeControl compute, int apiPort, int proxyPort) {
        this.executor = executor;
        this.compute = compute;
        executor.serveOnly(this::servesHere);
        // past 5/6 of the ttl without a confirmed renewal another node may soon own our projects: hold uploads
        // (the clock starts before the renewal query, so the database's expiry is never earlier than ours)
        long gate = config.leaseTtl().toNanos() * 5 / 6;
        store.remote().setWriteGate(() -> System.nanoTime() - lastRenewNanos < gate);
        String apiUrl = "http://" + config.advertiseHost() + ":" + apiPort + "/api/v2";
        db.tx(c -> { ProjectLeases.register(c, config.nodeId(), apiUrl, config.advertiseHost(), proxyPort); return null; });
        long tick = Math.max(200, config.leaseTtl().toMillis() / 3);
        ticks.scheduleWithFixedDelay(this::renew, 0, tick, TimeUnit.MILLISECONDS);
        ticks.scheduleWithFixedDelay(this::takeOver, tick / 2, tick, TimeUnit.MILLISECONDS);
        long upload = config.uploadInterval().toMillis();
        ticks.scheduleWithFixedDelay(this::upload, upload, upload, TimeUnit.MILLISECONDS);
        log.info("node {} joined the cluster (API {}, proxy {}:{}, lease ttl {} s)", config.nodeId(), apiUrl,
                config.advertiseHost(), proxyPort, config.leaseTtl().toSeconds());
    }

    /**
     * Where {@code projectId} is served: here if this node holds its lease, or takes it now because nobody
     * holds a live one (a new project, a dead node's project); else the node that does.
     */
    public Route route(String projectId) {
        if (owned.contains(projectId)) return new Route.Local();
        if (closed) throw new IllegalStateException("node " + config.nodeId() + " is shutting down");
        synchronized (adoptLocks.computeIfAbsent(projectId, k -> new Object())) {
            if (owned.contains(projectId)) return new Route.Local();
            ProjectLeases.Claim claim = db.tx(c -> ProjectLeases.claim(c, projectId, config.nodeId(), config.leaseTtl()));
            return switch (claim) {
                case ProjectLeases.Claim.Won w -> {
                    adopt(projectId, w);
                    yield new Route.Local();
                }
                case ProjectLeases.Claim.Unknown u -> new Route.Local();  // the API answers 404
                case ProjectLeases.Claim.HeldBy h -> new Route.Remote(h.nodeId(), h.apiUrl(), h.proxyHost(), h.proxyPort());
            };
        }
    }

    private boolean servesHere(String projectId) {
        try {
            return route(projectId) instanceof Route.Local;
        } catch (RuntimeException e) {
            log.warn("cannot tell who serves project {}: {}", projectId, e.toString());
            return false;
        }
    }

    /** The endpoint's project is served here (taking it over if nobody does), else an error naming its node. */
    public void requireLocal(String projectId, String what) {
        if (route(projectId) instanceof Route.Remote r) {
            throw new IllegalStateException(what + " is served by node " + r.nodeId() + "; connect through its proxy at "
                    + r.proxyHost() + ":" + r.proxyPort());
        }
    }

    /**
     * Makes the project servable here: its timelines come from this node's disk when nobody else wrote them
     * since this node last held the lease (the disk may hold a tail the bucket lacks), else from the bucket.
     */
    private void adopt(String projectId, ProjectLeases.Claim.Won won) {
        List<TimelineId> timelines = timelinesOf(projectId);
        long t0 = System.nanoTime();
        try {
            store.attach(timelines, !won.keepLocal());
        } catch (StorageException.NotFound e) {
            attachWhatSurvived(projectId, timelines, !won.keepLocal());
        }
        owned.add(projectId);
        log.info("node {} serves project {} (lease generation {}, {} timeline(s) attached from {} in {} ms)", config.nodeId(),
                projectId, won.generation(), timelines.size(), won.keepLocal() ? "local disk" : "the bucket",
                (System.nanoTime() - t0) / 1_000_000);
        resume(projectId);
    }

    /**
     * A node that died within the upload interval of creating a branch leaves its timeline in the metadata but
     * not in the bucket. The rest of the project is still served: each timeline is attached on its own (one
     * whose ancestor comes later is retried with all of them). A lost branch whose parent survived is created
     * again from the parent at its recorded branch point (what its endpoint wrote since is lost with the node,
     * as any write inside the upload interval); a lost root cannot be, and is reported.
     */
    private void attachWhatSurvived(String projectId, List<TimelineId> timelines, boolean discardLocal) {
        List<TimelineId> present = new ArrayList<>();
        Set<TimelineId> lost = new HashSet<>();
        for (TimelineId t : timelines) {
            try {
                store.attach(List.of(t), discardLocal);
                present.add(t);
            } catch (StorageException.NotFound e) {
                lost.add(t);
            }
        }
        store.attach(present, false);  // re-links those attached before their ancestor
        Map<String, Branches.Branch> branches = new HashMap<>();
        Map<String, TimelineId> timelineOf = new HashMap<>();  // follows the re-created ones
        for (var b : db.tx(c -> Branches.all(c, projectId))) {
            branches.put(b.id(), b);
            b.timelineId().ifPresent(t -> timelineOf.put(b.id(), new TimelineId(t)));
        }
        boolean progress = true;
        while (progress && !lost.isEmpty()) {  // parents before children: a re-created branch can parent another
            progress = false;
            for (var b : branches.values()) {
                TimelineId mine = timelineOf.get(b.id());
                TimelineId parentTl = b.parentId().map(timelineOf::get).orElse(null);
                if (mine == null || !lost.contains(mine) || parentTl == null || lost.contains(parentTl)) continue;
                BranchPoint at = b.parentLsn().map(l -> BranchPoint.at(Lsn.parse(l))).orElse(BranchPoint.head());
                TimelineId fresh;
                try {
                    fresh = store.branch(parentTl, at);
                } catch (StorageException e) {  // the parent's own tail past that point was lost too
                    fresh = store.branch(parentTl, BranchPoint.head());
                }
                TimelineId created = fresh;
                db.tx(c -> {
                    Branches.setTimeline(c, b.id(), created.value(), null, null, -1, Instant.now());
                    return null;
                });
                lost.remove(mine);
                timelineOf.put(b.id(), created);
                log.warn("node {}: branch {} of project {} never reached the bucket before its node died; created again from "
                        + "its parent {} at {} (timeline {})", config.nodeId(), b.id(), projectId, b.parentId().get(), at, created);
                progress = true;
            }
        }
        if (!lost.isEmpty()) log.error("node {}: project {} lost timeline(s) {}: roots created by a node that died before "
                + "they reached the bucket", config.nodeId(), projectId, lost);
    }

    /** A taken-over project: endpoints that were running run again here, unfinished operations resume. */
    private void resume(String projectId) {
        Thread.ofVirtual().name("adopt-" + projectId).start(() -> {
            ComputeControl cc = compute;
            if (cc != null) {
                for (EndpointSpec spec : specs.activeSpecs()) {
                    if (!spec.projectId().equals(projectId)) continue;
                    try {
                        cc.start(spec);
                    } catch (Exception e) {
                        log.warn("restarting endpoint {} of adopted project {} failed: {}", spec.endpointId(), projectId, e.toString());
                    }
                }
            }
            OperationExecutor ex = executor;
            int n = ex == null ? 0 : ex.sweep(Set.of(projectId));
            if (n > 0) log.info("node {} runs {} unfinished operation(s) of project {}", config.nodeId(), n, projectId);
        });
    }

    /**
     * What compute asks the control plane, limited to this node's projects: the proxy wakes an endpoint only
     * where its project is served (taking the project over if nobody serves it), and a restarted node brings
     * back only its own projects' endpoints.
     */
    public EndpointRegistry registry() {
        return new EndpointRegistry() {
            @Override public Optional<EndpointSpec> spec(String endpointId) {
                return local(specs.spec(endpointId), "endpoint " + endpointId, () -> specs.spec(endpointId));
            }
            @Override public Optional<EndpointSpec> branchSpec(String branchId) {
                return local(specs.branchSpec(branchId), "branch " + branchId, () -> specs.branchSpec(branchId));
            }
            /** Taking the project over may give a branch a new timeline (a lost one re-created): then the spec is read again. */
            private Optional<EndpointSpec> local(Optional<EndpointSpec> s, String what, Supplier<Optional<EndpointSpec>> again) {
                if (s.isEmpty() || owned.contains(s.get().projectId())) return s;
                requireLocal(s.get().projectId(), what);
                return again.get();
            }
            @Override public List<EndpointSpec> activeSpecs() {
                return specs.activeSpecs().stream().filter(x -> owned.contains(x.projectId())).toList();
            }
            @Override public void reportActive(String endpointId) { specs.reportActive(endpointId); }
            @Override public void reportIdle(String endpointId) { specs.reportIdle(endpointId); }
        };
    }

    /** Every live branch's timeline (ancestors included: a branch's parent is a branch of the same project). */
    private List<TimelineId> timelinesOf(String projectId) {
        return db.tx(c -> Branches.all(c, projectId)).stream()
                .flatMap(b -> b.timelineId().stream()).map(TimelineId::new).toList();
    }

    private void renew() {
        if (closed) return;
        long started = System.nanoTime();
        try {
            Set<String> held = db.tx(c -> ProjectLeases.renew(c, config.nodeId(), config.leaseTtl()));
            lastRenewNanos = started;
            Set<String> lost = new HashSet<>(owned);
            lost.removeAll(held);
            if (!lost.isEmpty()) {
                log.warn("node {} lost the leases of {} to other nodes (it renewed too late); it stops serving them", config.nodeId(), lost);
                fence(lost, Duration.ZERO);
            }
        } catch (RuntimeException e) {
            long sinceRenew = System.nanoTime() - lastRenewNanos;
            log.warn("node {}: lease renewal failed: {}", config.nodeId(), e.toString());
            if (sinceRenew > config.leaseTtl().toNanos() / 2 && !owned.isEmpty()) {
                log.error("node {} could not renew its leases for {} ms; it stops serving {} before they expire",
                        config.nodeId(), sinceRenew / 1_000_000, owned);
                fence(Set.copyOf(owned), config.leaseTtl().dividedBy(3));  // uploads finish before the write gate closes
            }
        }
    }

    /** Serves the projects nobody serves (a dead node's), and runs unfinished operations of this node's. */
    private void takeOver() {
        if (closed) return;
        try {
            for (String p : db.tx(ProjectLeases::orphaned)) {
                if (closed) return;
                if (route(p) instanceof Route.Local) log.info("node {} took over project {}", config.nodeId(), p);
            }
            executor.sweep(owned());
        } catch (RuntimeException e) {
            log.warn("node {}: taking over orphaned projects failed: {}", config.nodeId(), e.toString());
        }
    }

    /** Pushes every timeline's new writes to the bucket: the bound on what a lost node's disk alone holds. */
    private void upload() {
        if (closed) return;
        try {
            store.uploadSoon();
        } catch (RuntimeException e) {
            log.warn("node {}: pushing writes to the bucket failed: {}", config.nodeId(), e.toString());
        }
    }

    /**
     * Stops serving these projects: their endpoints stop and their timelines leave the page store (uploaded
     * first, within {@code uploadTimeout}, while the lease is still ours; not at all once it is not).
     */
    private void fence(Set<String> projects, Duration uploadTimeout) {
        owned.removeAll(projects);
        for (String p : projects) {
            stopEndpoints(p);
            try {
                store.release(servedTimelines(p), uploadTimeout);
            } catch (RuntimeException e) {
                log.warn("node {}: releasing project {}'s timelines: {}", config.nodeId(), p, e.toString());
            }
        }
    }

    private void stopEndpoints(String projectId) {
        ComputeControl cc = compute;
        if (cc == null) return;
        try {
            cc.stopProject(projectId);
        } catch (Exception e) {
            log.warn("node {}: stopping project {}'s endpoints: {}", config.nodeId(), projectId, e.toString());
        }
    }

    /**
     * The project's timelines as this store holds them: its branches' plus every timeline branched from those
     * here (scratch timelines of read-only and time-travel computes, anonymization scratch), released together.
     */
    private List<TimelineId> servedTimelines(String projectId) {
        Set<TimelineId> set = new HashSet<>(timelinesOf(projectId));
        var all = store.timelines();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (var t : all) if (t.ancestor() != null && set.contains(t.ancestor()) && set.add(t.id())) grew = true;
        }
        return List.copyOf(set);
    }

    /** Orderly shutdown: endpoints stop, writes reach the bucket, and the leases are handed back at once. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ticks.shutdownNow();
        try {
            ticks.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Set<String> mine = Set.copyOf(owned);
        if (mine.isEmpty()) return;
        fence(mine, Duration.ofSeconds(30));
        try {
            db.tx(c -> { ProjectLeases.releaseAll(c, config.nodeId(), mine); return null; });
            log.info("node {} handed back the leases of {} project(s)", config.nodeId(), mine.size());
        } catch (RuntimeException e) {
            log.warn("node {}: handing back leases failed (they expire in {} s): {}", config.nodeId(),
                    config.leaseTtl().toSeconds(), e.toString());
        }
    }
}
