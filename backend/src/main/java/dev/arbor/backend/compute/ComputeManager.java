package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.AdminSql;
import dev.arbor.backend.compute.process.ClusterTemplate;
import dev.arbor.backend.compute.process.PostgresServer;
import dev.arbor.backend.compute.process.Procs;
import dev.arbor.backend.compute.process.Scram;
import dev.arbor.backend.compute.proxy.ProxyBackends;
import dev.arbor.backend.compute.proxy.ProxyTls;
import dev.arbor.backend.compute.proxy.ProxyTarget;
import dev.arbor.backend.compute.volume.FuseVolume;
import dev.arbor.backend.compute.volume.LocalWal;
import dev.arbor.backend.compute.volume.Mounts;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointRegistry;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Runs endpoints: per endpoint one FUSE mount of its branch's timeline and one vanilla postgres on it.
 * Endpoints start on demand (an operation, or a client connecting through the proxy), are suspended
 * (postgres stopped, volume unmounted) after their idle timeout, and are restarted if postgres crashes.
 *
 * <p>All methods may block; call them from virtual threads or worker threads, never an event loop.
 */
public final class ComputeManager implements ComputeControl, ProxyBackends {
    private static final Logger log = LoggerFactory.getLogger(ComputeManager.class);
    private static final String MANAGED = "arbor-managed";

    private final ComputeConfig config;
    private volatile ProxyTls.PemFiles serverTls;  // postgres serves the proxy's certificate (TLS handed through)
    private final TimelineTrees trees;
    private final ClusterTemplate template;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper;
    private volatile EndpointRegistry registry;
    private final WakeStats wakeStats = new WakeStats();
    private final dev.arbor.backend.compute.volume.FuseOpStats fuseStats = new dev.arbor.backend.compute.volume.FuseOpStats();
    private volatile boolean closed;

    /** Per-endpoint runtime state; {@code lock} serializes start/stop of that endpoint. */
    private static final class Endpoint {
        final String id;
        final ReentrantLock lock = new ReentrantLock();
        final AtomicInteger connections = new AtomicInteger();
        volatile EndpointSpec spec;
        /** Head for ordinary endpoints; a past LSN for a time-travel (read-only) endpoint. */
        volatile BranchPoint readPoint = BranchPoint.head();
        volatile RunningCompute running;
        volatile long idleSinceNanos = System.nanoTime();

        Endpoint(String id) { this.id = id; }
    }

    public ComputeManager(ComputeConfig config, TimelineTrees trees) {
        this.config = config;
        this.trees = trees;
        this.template = new ClusterTemplate(config.pg(), config.computeDir().resolve("template"));
        prepareComputeDir(config.computeDir());
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("compute-reaper").daemon().factory());
        long every = config.reaperInterval().toMillis();
        reaper.scheduleWithFixedDelay(this::suspendIdle, every, every, TimeUnit.MILLISECONDS);
    }

    /** The control plane's view of endpoints; the proxy resolves and wakes endpoints through it. */
    public void setRegistry(EndpointRegistry registry) { this.registry = registry; }

    public ComputeConfig config() { return config; }

    @Override public boolean available() { return true; }

    // ---------------------------------------------------------------- timelines

    /** Fills a new, empty root timeline with a fresh cluster (initdb), durably. Idempotent. */
    public void initTimeline(TimelineId timeline) throws IOException {
        FileTree tree = trees.writable(timeline);
        if (hasCluster(tree)) return;
        template.copyInto(tree);
        log.info("initdb into timeline {}", timeline);
    }

    private static boolean hasCluster(FileTree tree) {
        try {
            tree.stat("/PG_VERSION");
            return true;
        } catch (StorageException.NotFound e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void start(EndpointSpec spec) throws IOException {
        ensureRunning(spec);
    }

    /** Starts {@code spec}'s endpoint unless it already runs on the same timeline; returns its loopback port. */
    public int ensureRunning(EndpointSpec spec) throws IOException {
        return ensureRunning(spec, null);
    }

    /**
     * A time-travel endpoint: read-only, serving {@code spec}'s timeline as it was at {@code lsn} (postgres
     * replays its WAL up to that point on a private scratch timeline). Later wake-ups keep that LSN.
     * @throws dev.arbor.storage.StorageException.InvalidLsn outside the timeline's history window
     */
    public int startAt(EndpointSpec spec, dev.arbor.storage.Lsn lsn) throws IOException {
        return ensureRunning(spec, BranchPoint.at(lsn));
    }

    private int ensureRunning(EndpointSpec spec, BranchPoint readPoint) throws IOException {
        if (closed) throw new IllegalStateException("compute is shut down");
        Endpoint ep = endpoints.computeIfAbsent(spec.endpointId(), Endpoint::new);
        ep.lock.lock();
        try {
            if (readPoint != null && !readPoint.equals(ep.readPoint)) {
                if (ep.running != null) stopLocked(ep, "read point changed to " + readPoint);
                ep.readPoint = readPoint;
            }
            ep.spec = spec;
            RunningCompute r = ep.running;
            if (r != null && r.server().alive() && r.timeline().equals(spec.timeline())) return r.server().port();
            if (r != null) stopLocked(ep, "restart on " + spec.timeline());
            ep.running = startLocked(ep, spec);
            ep.idleSinceNanos = System.nanoTime();
            return ep.running.server().port();
        } finally {
            ep.lock.unlock();
        }
    }

    /** For the proxy: an endpoint, or a branch (its read_write endpoint, else its first), at its head or a past point. */
    @Override
    public ProxyTarget resolve(String endpointOrBranchId, Optional<BranchPoint> at) {
        EndpointRegistry reg = registry;
        Optional<EndpointSpec> spec;
        if (reg != null) {
            spec = reg.spec(endpointOrBranchId);
            if (spec.isEmpty()) spec = reg.branchSpec(endpointOrBranchId);
        } else {
            spec = Optional.ofNullable(endpoints.get(endpointOrBranchId)).map(e -> e.spec);
        }
        if (spec.isEmpty()) throw new EndpointNotFound(endpointOrBranchId);
        EndpointSpec s = spec.get();
        if (at.isEmpty()) return new ProxyTarget(s.endpointId(), s, BranchPoint.head());
        // Neon's time travel: a private read-only compute per branch and point, suspended when idle like any other.
        // Short and stable per branch and point: the id names a directory that holds postgres' socket (107-byte path limit).
        String point = switch (at.get()) {
            case BranchPoint.AtLsn l -> "lsn:" + l.lsn();
            case BranchPoint.AtTime t -> "time:" + t.time();
            case BranchPoint.Head h -> "head";
        };
        String id = "tt-" + java.util.HexFormat.of().formatHex(java.util.Arrays.copyOf(
                sha256((s.branchId() + "@" + point).getBytes(java.nio.charset.StandardCharsets.UTF_8)), 8));
        int suspend = s.suspendTimeoutSeconds() < 0 ? 0 : s.suspendTimeoutSeconds();
        EndpointSpec tt = new EndpointSpec(s.projectId(), id, s.branchId(), s.timeline(), "read_only", s.pgVersion(),
                s.minCu(), s.maxCu(), suspend, s.pgSettings(), s.roles(), s.databases());
        return new ProxyTarget(id, tt, at.get());
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For the proxy: the target's private socket, starting its compute first if it is suspended. */
    @Override
    public Path wake(ProxyTarget target) throws IOException {
        Endpoint ep = endpoints.get(target.computeId());
        RunningCompute r = ep == null ? null : ep.running;
        if (r != null && r.server().alive() && !r.server().stopping() && r.timeline().equals(target.spec().timeline())) {
            return r.server().socketFile();
        }
        long t0 = System.nanoTime();  // metrics: a wake-up and how long the client waited
        boolean ok = false;
        try {
            ensureRunning(target.spec(), target.timeTravel() ? target.readPoint() : null);
            EndpointRegistry reg = registry;
            if (reg != null && !target.timeTravel()) reg.reportActive(target.computeId());
            RunningCompute now = endpoints.get(target.computeId()).running;
            if (now == null) throw new IOException("endpoint " + target.computeId() + " stopped while starting");
            ok = true;
            return now.server().socketFile();
        } finally {
            wakeStats.record(t0, ok);
        }
    }

    /** Wake-ups by the proxy and their latency (metrics). */
    public WakeStats wakeStats() { return wakeStats; }

    /** FUSE callback latency over every endpoint's volume (metrics). */
    public dev.arbor.backend.compute.volume.FuseOpStats fuseStats() { return fuseStats; }

    private RunningCompute startLocked(Endpoint ep, EndpointSpec spec) throws IOException {
        long t0 = System.nanoTime();
        Path root = endpointDir(ep.id);
        Path mnt = root.resolve("pgdata");
        Path run = root.resolve("run");
        Files.createDirectories(root);
        Files.createDirectories(run);
        ownByPostgres(run);
        clearStale(ep.id);

        TimelineId scratch = null;
        FileTree tree;
        boolean readOnly = readOnly(ep, spec);
        if (readOnly) {
            if (LocalWal.isRecent(ep.readPoint)) flushWal(spec.timeline());
            scratch = trees.createScratch(spec.timeline(), ep.readPoint);
            tree = trees.writable(scratch);
            if (!hasCluster(tree)) {
                trees.dropScratch(scratch);
                throw new IllegalStateException("branch " + spec.branchId() + " has no database cluster yet; "
                        + "start a read_write endpoint on it first");
            }
        } else {
            tree = trees.writable(spec.timeline());
            if (!hasCluster(tree)) template.copyInto(tree);
        }
        FuseVolume volume = null;
        LocalWal wal = null;
        try {
            prepareTree(tree, mnt);
            long tMount = System.nanoTime();
            if (!readOnly) wal = LocalWal.open(tree, LocalWal.dirFor(root, spec.timeline()), config.pg().runAs());
            volume = FuseVolume.mount(tree, mnt, config.pg().runAs(), trees.storeDir(), fuseStats, wal);
            tMount = System.nanoTime() - tMount;
            Map<String, String> settings = pgSettings(spec, ep.id);
            if (readOnly) {
                recoverToCleanShutdown(mnt, root);
                // A hot standby with nothing to follow: it replays nothing and refuses writes with
                // PostgreSQL's own "cannot execute ... in a read-only transaction".
                Files.writeString(mnt.resolve("standby.signal"), "");
                settings.put("hot_standby", "on");
            }
            PostgresServer server = PostgresServer.start(config.pg(), mnt, run, root.resolve("postgres.log"),
                    settings, config.startTimeout().toMillis());
            Files.writeString(root.resolve("endpoint.pid"), server.pid() + "\n" + mnt + "\n");
            RunningCompute rc = new RunningCompute(spec.timeline(), volume, server, scratch);
            server.onExit().thenRun(() -> onPostgresExit(ep, rc));
            log.info("endpoint {} started on timeline {}{} in {} ms (mount {} ms)", ep.id, spec.timeline(),
                    readOnly ? " (read-only at " + ep.readPoint + ")" : "", (System.nanoTime() - t0) / 1_000_000, tMount / 1_000_000);
            return rc;
        } catch (IOException | RuntimeException e) {
            if (volume != null) volume.close();
            else if (wal != null) wal.close();
            if (scratch != null) trees.dropScratch(scratch);
            throw e;
        }
    }

    private static boolean readOnly(Endpoint ep, EndpointSpec spec) {
        return spec.readOnly() || !(ep.readPoint instanceof BranchPoint.Head);
    }

    /**
     * Before mounting: PGDATA must be 0700, and a postmaster.pid inherited from the parent branch (a
     * different data directory) must go, or postgres may mistake an unrelated live pid for a running
     * postmaster. A lock file of this very mount is left for postgres' own interlock to judge.
     */
    private static void prepareTree(FileTree tree, Path mnt) {
        if (tree.stat("/").mode() != 0700) tree.chmod("/", 0700);
        try {
            var attr = tree.stat("/postmaster.pid");
            var buf = java.nio.ByteBuffer.allocate((int) Math.min(attr.size(), 4096));
            tree.read(attr.inode(), 0, buf);
            String[] lines = new String(buf.array(), 0, buf.position()).split("\n");
            if (lines.length < 2 || !lines[1].equals(mnt.toString())) tree.unlink("/postmaster.pid");
        } catch (StorageException.NotFound ignored) {
            // no lock file
        }
        for (String signal : List.of("/standby.signal", "/recovery.signal")) {
            try {
                tree.unlink(signal);
            } catch (StorageException.NotFound ignored) {
                // only read-only scratch trees carry one, and we add it after recovery
            }
        }
    }

    /**
     * A branch taken while its parent ran is a crash image; a hot standby started on it would wait for a
     * consistent point that never comes. Single-user mode runs crash recovery and a shutdown checkpoint,
     * writing only to the scratch timeline.
     */
    private void recoverToCleanShutdown(Path mnt, Path root) throws IOException {
        var state = Procs.run(config.pg().builder("pg_controldata", List.of("-D", mnt.toString())), null, 30);
        String s = state.output();
        if (java.util.regex.Pattern.compile("(?m)^Database cluster state:\\s+shut down\\s*$").matcher(s).find()) return;
        var r = Procs.run(config.pg().builder("postgres", List.of("--single", "-D", mnt.toString(),
                "-c", "unix_socket_directories=" + root.resolve("run"), "-c", "listen_addresses=",
                "-c", "recovery_init_sync_method=syncfs", "postgres")), "", 300);
        if (r.exit() != 0) throw new IOException("crash recovery of read-only endpoint failed: " + r.output());
    }

    @Override
    public void suspend(EndpointSpec spec) {
        suspend(spec.endpointId());
    }

    public void suspend(String endpointId) {
        Endpoint ep = endpoints.get(endpointId);
        if (ep == null) return;
        ep.lock.lock();
        try {
            stopLocked(ep, "suspend");
        } finally {
            ep.lock.unlock();
        }
    }

    /** Stops every compute of the project, time-travel and private ones included (its node gives it up). */
    @Override
    public void stopProject(String projectId) {
        for (Endpoint ep : List.copyOf(endpoints.values())) {
            EndpointSpec s = ep.spec;
            if (s != null && projectId.equals(s.projectId())) suspend(ep.id);
        }
    }

    private void stopLocked(Endpoint ep, String why) {
        RunningCompute r = ep.running;
        if (r == null) return;
        ep.running = null;
        r.server().stop(15_000);
        r.volume().close();
        if (r.scratch() != null) {
            try {
                trees.dropScratch(r.scratch());
            } catch (RuntimeException e) {
                log.warn("endpoint {}: dropping scratch timeline {}: {}", ep.id, r.scratch(), e.toString());
            }
        }
        try {
            Files.deleteIfExists(endpointDir(ep.id).resolve("endpoint.pid"));
        } catch (IOException ignored) {
            // reconcile copes with a leftover
        }
        log.info("endpoint {} stopped ({})", ep.id, why);
    }

    /** Postgres exited: expected (we stopped it) or a crash, after which it is restarted on the same mount. */
    private void onPostgresExit(Endpoint ep, RunningCompute rc) {
        if (rc.server().stopping() || closed) return;
        log.warn("endpoint {}: postgres pid {} died unexpectedly; restarting. Log tail:\n{}", ep.id,
                rc.server().pid(), rc.server().logTail());
        Thread.ofVirtual().name("compute-restart-" + ep.id).start(() -> restartAfterCrash(ep, rc));
    }

    private void restartAfterCrash(Endpoint ep, RunningCompute rc) {
        ep.lock.lock();
        try {
            if (ep.running != rc || closed) return; // stopped or restarted meanwhile
            Path root = endpointDir(ep.id);
            Map<String, String> settings = pgSettings(ep.spec, ep.id);
            if (readOnly(ep, ep.spec)) settings.put("hot_standby", "on");
            // Orphaned backends of the dead postmaster hold its shared memory for a moment; postgres refuses
            // to start until they are gone, which is exactly the interlock we want. Retry until then.
            IOException last = null;
            for (int attempt = 0; attempt < 40 && !closed; attempt++) {
                try {
                    PostgresServer server = PostgresServer.start(config.pg(), rc.volume().mountPoint(), root.resolve("run"),
                            root.resolve("postgres.log"), settings, config.startTimeout().toMillis());
                    RunningCompute next = new RunningCompute(rc.timeline(), rc.volume(), server, rc.scratch());
                    ep.running = next;
                    Files.writeString(root.resolve("endpoint.pid"), server.pid() + "\n" + rc.volume().mountPoint() + "\n");
                    server.onExit().thenRun(() -> onPostgresExit(ep, next));
                    log.info("endpoint {} restarted after crash (pid {})", ep.id, server.pid());
                    return;
                } catch (IOException e) {
                    last = e;
                    Thread.sleep(250);
                }
            }
            log.error("endpoint {}: could not restart postgres after a crash; suspending it", ep.id, last);
            stopLocked(ep, "crash restart failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ep.lock.unlock();
        }
    }

    @Override
    public void delete(EndpointSpec spec) throws IOException {
        suspend(spec.endpointId());
        endpoints.remove(spec.endpointId());
        Path dir = endpointDir(spec.endpointId());
        if (!Files.exists(dir)) return;
        Mounts.unmountStale(dir.resolve("pgdata"));
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }

    // ---------------------------------------------------------------- roles, databases, settings

    @Override
    public void applyConfig(EndpointSpec spec) throws IOException {
        Endpoint ep = endpoints.computeIfAbsent(spec.endpointId(), Endpoint::new);
        ep.lock.lock(); // keeps the idle reaper away while compute itself is the only client
        try {
            ensureRunning(spec);
            if (readOnly(ep, spec)) return; // a hot standby serves the branch's roles and databases as they are
            RunningCompute r = ep.running;
            if (r == null) throw new IOException("endpoint " + spec.endpointId() + " stopped while applying its config");
            AdminSql.run(config.pg(), r.server(), "postgres", configScript(spec));
            ep.idleSinceNanos = System.nanoTime();
        } finally {
            ep.lock.unlock();
        }
    }

    /** Idempotent SQL that makes roles and databases match {@code spec}; drops only what compute created. */
    static String configScript(EndpointSpec spec) {
        StringBuilder sql = new StringBuilder();
        Set<String> roles = new HashSet<>();
        for (var role : spec.roles()) {
            roles.add(role.name());
            String id = AdminSql.ident(role.name());
            sql.append("SELECT format('CREATE ROLE %I', ").append(AdminSql.literal(role.name()))
                    .append(") WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ")
                    .append(AdminSql.literal(role.name())).append(")\\gexec\n");
            sql.append("ALTER ROLE ").append(id).append(role.noLogin() ? " NOLOGIN" : " LOGIN").append(" CREATEDB CREATEROLE PASSWORD ")
                    .append(role.password() == null ? "NULL" : AdminSql.literal(Scram.verifier(role.password()))).append(";\n");
            sql.append("COMMENT ON ROLE ").append(id).append(" IS '").append(MANAGED).append("';\n");
        }
        Set<String> dbs = new HashSet<>();
        for (var db : spec.databases()) {
            dbs.add(db.name());
            sql.append("SELECT format('CREATE DATABASE %I OWNER %I', ").append(AdminSql.literal(db.name())).append(", ")
                    .append(AdminSql.literal(db.ownerName())).append(") WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ")
                    .append(AdminSql.literal(db.name())).append(")\\gexec\n");
            sql.append("ALTER DATABASE ").append(AdminSql.ident(db.name())).append(" OWNER TO ").append(AdminSql.ident(db.ownerName())).append(";\n");
            sql.append("COMMENT ON DATABASE ").append(AdminSql.ident(db.name())).append(" IS '").append(MANAGED).append("';\n");
        }
        sql.append("SELECT format('DROP DATABASE %I WITH (FORCE)', d.datname) FROM pg_database d JOIN pg_shdescription s ON s.objoid = d.oid "
                + "AND s.classoid = 'pg_database'::regclass WHERE s.description = '" + MANAGED + "'")
                .append(notIn("d.datname", dbs)).append("\\gexec\n");
        sql.append("SELECT format('DROP ROLE %I', r.rolname) FROM pg_roles r JOIN pg_shdescription s ON s.objoid = r.oid "
                + "AND s.classoid = 'pg_authid'::regclass WHERE s.description = '" + MANAGED + "'")
                .append(notIn("r.rolname", roles)).append("\\gexec\n");
        return sql.toString();
    }

    private static String notIn(String column, Set<String> names) {
        if (names.isEmpty()) return "";
        List<String> lits = new ArrayList<>();
        for (String n : names) lits.add(AdminSql.literal(n));
        return " AND " + column + " NOT IN (" + String.join(", ", lits) + ")";
    }

    /** The postgres of a running endpoint, for tooling that connects as the superuser over its socket. */
    Optional<dev.arbor.backend.compute.process.PostgresServer> runningServer(String endpointId) {
        Endpoint ep = endpoints.get(endpointId);
        RunningCompute r = ep == null ? null : ep.running;
        return r == null || !r.server().alive() ? Optional.empty() : Optional.of(r.server());
    }

    /** Copies {@code source}'s schema into {@code target} (see {@link SchemaCopy}). */
    @Override
    public void copySchema(EndpointSpec source, EndpointSpec target) throws IOException {
        new SchemaCopy(this, config.pg()).copy(source, target);
    }

    /** Superuser JDBC to two private endpoints for an anonymization (see {@link SuperuserAccess}). */
    @Override
    public void withSuperuser(EndpointSpec source, EndpointSpec target, JdbcWork work) throws Exception {
        new SuperuserAccess(this).run(source, target, work);
    }

    /** Runs SQL as the superuser on a running endpoint (tests, benchmarks, schema tooling). */
    public String adminSql(String endpointId, String database, String script) throws IOException {
        Endpoint ep = endpoints.get(endpointId);
        RunningCompute r = ep == null ? null : ep.running;
        if (r == null) throw new IOException("endpoint " + endpointId + " is not running");
        return AdminSql.run(config.pg(), r.server(), database, script);
    }

    /**
     * Only when the WAL since the last checkpoint's redo point is over 1 MiB: below that the child's crash recovery
     * rewrites little, and an idle parent branched again and again costs no checkpoint each time.
     */
    private static final String CHECKPOINT_IF_WORTH_IT = "DO $$ BEGIN IF pg_wal_lsn_diff(pg_current_wal_insert_lsn(),"
            + " (SELECT redo_lsn FROM pg_control_checkpoint())) > 1048576 THEN EXECUTE 'CHECKPOINT'; END IF; END $$;";

    /** CHECKPOINT on every running read_write endpoint of {@code timeline} (see {@link ComputeControl#checkpoint}). */
    @Override
    public void checkpoint(TimelineId timeline) {
        for (Endpoint ep : endpoints.values()) {
            RunningCompute r = ep.running;
            if (r == null || r.scratch() != null || !r.timeline().equals(timeline) || !r.server().alive()) continue;
            try {
                AdminSql.run(config.pg(), r.server(), "postgres", CHECKPOINT_IF_WORTH_IT);
            } catch (IOException | RuntimeException e) {  // stopped meanwhile (its shutdown checkpoint did the same)
                log.info("endpoint {}: checkpoint before branching skipped: {}", ep.id, e.getMessage());
            }
        }
        flushWal(timeline);
    }

    /** Every commit so far on {@code timeline}'s running read_write endpoint goes into the store (see {@link LocalWal}). */
    @Override
    public void flushWal(TimelineId timeline) {
        for (Endpoint ep : endpoints.values()) {
            RunningCompute r = ep.running;
            if (r == null || r.scratch() != null || !r.timeline().equals(timeline)) continue;
            try {
                r.volume().flushWal();
            } catch (RuntimeException e) {  // stopped meanwhile: its close copied the WAL in
                log.info("endpoint {}: WAL flush before branching skipped: {}", ep.id, e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- connections and idling

    @Override
    public List<Path> runningSockets() {
        List<Path> sockets = new ArrayList<>();
        for (Endpoint ep : endpoints.values()) {
            RunningCompute r = ep.running;
            if (r != null && r.server().alive()) sockets.add(r.server().socketFile());
        }
        return sockets;
    }

    /** The proxy opened a client connection to the endpoint (counted from before the wake-up). */
    @Override
    public void connectionOpened(String endpointId) {
        endpoints.computeIfAbsent(endpointId, Endpoint::new).connections.incrementAndGet();
    }

    @Override
    public void connectionClosed(String endpointId) {
        Endpoint ep = endpoints.get(endpointId);
        if (ep == null) return;
        if (ep.connections.decrementAndGet() <= 0) ep.idleSinceNanos = System.nanoTime();
    }

    public EndpointStatus status(String endpointId) {
        Endpoint ep = endpoints.get(endpointId);
        RunningCompute r = ep == null ? null : ep.running;
        if (r == null || !r.server().alive()) return new EndpointStatus.Suspended();
        return new EndpointStatus.Running(r.server().port(), r.server().pid(), ep.connections.get());
    }

    /** The endpoint's postmaster pid, for tests that crash it on purpose. */
    public Optional<Long> postgresPid(String endpointId) {
        return status(endpointId) instanceof EndpointStatus.Running run ? Optional.of(run.pid()) : Optional.empty();
    }

    private long suspendTimeoutNanos(EndpointSpec spec) {
        int s = spec.suspendTimeoutSeconds();
        if (s < 0) return -1;
        if (s == 0) return config.defaultSuspendTimeout().toNanos();
        return TimeUnit.SECONDS.toNanos(s);
    }

    private void suspendIdle() {
        for (Endpoint ep : endpoints.values()) {
            try {
                if (ep.running == null || ep.connections.get() > 0 || ep.spec == null) continue;
                long timeout = suspendTimeoutNanos(ep.spec);
                if (timeout < 0 || System.nanoTime() - ep.idleSinceNanos < timeout) continue;
                if (!ep.lock.tryLock()) continue;
                try {
                    if (ep.running == null || ep.connections.get() > 0) continue;
                    if (System.nanoTime() - ep.idleSinceNanos < timeout) continue;
                    stopLocked(ep, "idle for " + TimeUnit.NANOSECONDS.toSeconds(timeout) + " s");
                    EndpointRegistry reg = registry;
                    if (reg != null) reg.reportIdle(ep.id);
                } finally {
                    ep.lock.unlock();
                }
            } catch (RuntimeException e) {
                log.warn("suspending idle endpoint {}: {}", ep.id, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- restart recovery

    /**
     * After a server crash: postgres processes of the previous run are killed (identified by the pid we
     * recorded and their data directory) and dead FUSE mounts are detached. Endpoints then start on demand.
     */
    public void recoverAfterRestart() throws IOException {
        Path dir = config.computeDir();
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path ep : s.toList()) {
                if (ep.getFileName().toString().equals("template")) continue;
                clearStale(ep.getFileName().toString());
            }
        }
    }

    /**
     * Server start: clears what the previous run left ({@link #recoverAfterRestart}), then starts the endpoints
     * metadata says are active, in the background (a failure is logged; the proxy retries on connect).
     * Suspended endpoints stay suspended until a client connects.
     */
    public void reconcile(java.util.Collection<EndpointSpec> active) throws IOException {
        recoverAfterRestart();
        for (EndpointSpec spec : active) {
            Thread.ofVirtual().name("compute-reconcile-" + spec.endpointId()).start(() -> {
                try {
                    ensureRunning(spec);
                } catch (IOException | RuntimeException e) {
                    log.warn("endpoint {} could not be started after restart: {}", spec.endpointId(), e.toString());
                }
            });
        }
    }

    private void clearStale(String endpointId) throws IOException {
        Path root = endpointDir(endpointId);
        Path pidFile = root.resolve("endpoint.pid");
        Path mnt = root.resolve("pgdata");
        if (Files.exists(pidFile)) {
            List<String> lines = Files.readAllLines(pidFile);
            long pid = Long.parseLong(lines.getFirst().trim());
            if (Procs.alive(pid) && Procs.cmdline(pid).contains(" -D " + mnt + " ")) {
                log.warn("killing stale postgres pid {} of endpoint {}", pid, endpointId);
                Procs.signal(pid, "KILL");
                for (int i = 0; i < 100 && Procs.alive(pid); i++) sleep(50);
            }
            Files.deleteIfExists(pidFile);
        }
        Mounts.unmountStale(mnt);
        // the WAL a crashed run left goes into its timeline before anything else reads it
        LocalWal.recoverAll(root, trees::writable);
    }

    /** Test hook: this manager stops acting (no restarts, no idling) but leaves processes and mounts as they are. */
    public void freezeForTesting() {
        closed = true;
        reaper.shutdownNow();
        for (Endpoint ep : endpoints.values()) {
            RunningCompute r = ep.running;
            if (r != null) r.volume().abandonWalForTesting();
        }
    }

    /**
     * Test hook simulating this process dying: every endpoint's postgres tree is SIGKILLed and its FUSE
     * mount detached, with no shutdown, checkpoint or sync. The manager is unusable afterwards.
     */
    public void abandonForTesting() {
        closed = true;
        reaper.shutdownNow();
        for (Endpoint ep : endpoints.values()) {
            RunningCompute r = ep.running;
            if (r == null) continue;
            r.volume().abandonWalForTesting();
            killTree(r.server().pid());
            Mounts.unmount(r.volume().mountPoint(), true);
        }
    }

    /** SIGKILL to a postmaster and all its children at once, as an OOM kill or `kill -9` of the cluster would. */
    public static void killTree(long pid) {
        List<String> cmd = new ArrayList<>(List.of("kill", "-9", Long.toString(pid)));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> cmd.add(Long.toString(d.pid()))));
        try {
            Procs.run(new ProcessBuilder(cmd), null, 10);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < 100 && Procs.alive(pid); i++) sleep(20);
    }

    @Override
    public void close() {
        closed = true;
        reaper.shutdownNow();
        for (Endpoint ep : endpoints.values()) {
            ep.lock.lock();
            try {
                stopLocked(ep, "shutdown");
            } catch (RuntimeException e) {
                log.warn("stopping endpoint {}: {}", ep.id, e.toString());
            } finally {
                ep.lock.unlock();
            }
        }
    }

    Path endpointDir(String endpointId) {
        if (!endpointId.matches("[A-Za-z0-9_-]+")) throw new IllegalArgumentException("bad endpoint id: " + endpointId);
        return config.computeDir().resolve(endpointId);
    }

    /** The postgres user must traverse to its mount points and sockets; a 0700 ancestor would stop it with EACCES. */
    private static void prepareComputeDir(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
            for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE))
                    throw new IllegalStateException("directory " + p + " is not traversable by the postgres OS user (no o+x); "
                            + "endpoints under " + dir + " could not start. chmod o+x " + p + " or use another data dir");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare " + dir, e);
        }
    }

    /**
     * Endpoints started from now on also speak TLS on their loopback port, with the proxy's certificate (written as
     * PEM for the postgres user under the compute dir): the proxy hands a local client's TLS session through to
     * postgres instead of ending it (see PgProxy).
     */
    public void serveProxyCertificate(KeyCertOptions tls, Vertx vertx) throws Exception {
        serverTls = ProxyTls.pemForPostgres(tls, vertx, config.computeDir().resolve("tls"),
                config.pg().runAs().uid(), config.pg().runAs().gid());
    }

    /** An endpoint's postgres settings, as (re)started: its spec's, its cluster name, and TLS when served. */
    private Map<String, String> pgSettings(EndpointSpec spec, String endpointId) {
        Map<String, String> settings = new LinkedHashMap<>(spec.pgSettings() == null ? Map.of() : spec.pgSettings());
        settings.putIfAbsent("cluster_name", endpointId);
        ProxyTls.PemFiles t = serverTls;
        if (t != null) {
            settings.put("ssl", "on");
            settings.put("ssl_cert_file", t.certChain().toString());
            settings.put("ssl_key_file", t.privateKey().toString());
        }
        return settings;
    }

    private void ownByPostgres(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", config.pg().runAs().uid());
        Files.setAttribute(p, "unix:gid", config.pg().runAs().gid());
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
