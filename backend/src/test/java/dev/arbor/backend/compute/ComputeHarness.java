package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.PgInstall;
import dev.arbor.backend.compute.process.Procs;
import dev.arbor.backend.compute.proxy.PgProxy;
import dev.arbor.backend.compute.proxy.ProxyBackends;
import dev.arbor.backend.compute.proxy.ProxyTarget;
import dev.arbor.backend.compute.proxy.ProxyTls;
import dev.arbor.backend.ops.EndpointRegistry;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.TimelineId;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real compute stack for tests: page store, ComputeManager, Vert.x proxy with TLS, a map as registry. */
final class ComputeHarness implements AutoCloseable {
    static final String ROLE = "app_owner";
    static final String PASSWORD = "s3cret-Pw.42";
    static final String DB = "appdb";

    final Path dir;
    TestStore store;
    volatile ComputeManager compute;
    private final ComputeConfig cfg;
    final Vertx vertx = Vertx.vertx();
    final PgProxy proxy;
    final int proxyPort;
    final Map<String, EndpointSpec> specs = new ConcurrentHashMap<>();
    final List<String> idleReports = new CopyOnWriteArrayList<>();
    private final io.vertx.core.net.KeyCertOptions tls;

    ComputeHarness(Duration defaultSuspend) throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-compute-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        store = TestStore.open(dir.resolve("store"));
        cfg = new ComputeConfig(dir, PgInstall.locate(), defaultSuspend, Duration.ofSeconds(90), Duration.ofMillis(200));
        tls = ProxyTls.selfSigned(dir.resolve("tls"), "localhost");
        compute = newCompute();
        // the proxy follows the harness' current manager (tests replace it to simulate a server restart)
        ProxyBackends backends = new ProxyBackends() {
            @Override public ProxyTarget resolve(String id, Optional<BranchPoint> at) { return compute.resolve(id, at); }
            @Override public Path wake(ProxyTarget t) throws Exception { return compute.wake(t); }
            @Override public void connectionOpened(String id) { compute.connectionOpened(id); }
            @Override public void connectionClosed(String id) { compute.connectionClosed(id); }
            @Override public List<Path> runningSockets() { return compute.runningSockets(); }
        };
        proxy = new PgProxy(vertx, backends, tls);
        proxyPort = proxy.listen("127.0.0.1", 0).await();
    }

    private ComputeManager newCompute() throws Exception {
        var cm = new ComputeManager(cfg, store.trees());
        cm.serveProxyCertificate(tls, vertx);  // as the server does
        cm.setRegistry(new EndpointRegistry() {
            @Override public Optional<EndpointSpec> spec(String id) { return Optional.ofNullable(specs.get(id)); }
            @Override public Optional<EndpointSpec> branchSpec(String branchId) {
                return specs.values().stream().filter(s -> s.branchId().equals(branchId))
                        .sorted(java.util.Comparator.comparing(EndpointSpec::readOnly)).findFirst();
            }
            @Override public void reportActive(String id) {}
            @Override public void reportIdle(String id) { idleReports.add(id); }
        });
        return cm;
    }

    /**
     * The serving process dies: postgres trees SIGKILLed, FUSE mounts gone, and the page store loses every
     * byte not covered by a completed sync. Then a new server starts on the same data directory.
     */
    void crashServerAndRestart(long seed) throws Exception {
        compute.abandonForTesting();
        store.store.crashForTesting(new java.util.Random(seed));
        store = TestStore.open(dir.resolve("store"));
        compute = newCompute();
        compute.recoverAfterRestart();
    }

    /** A root timeline with a fresh cluster. */
    TimelineId newRoot() throws IOException {
        TimelineId t = store.createRoot();
        compute.initTimeline(t);
        return t;
    }

    EndpointSpec endpoint(String id, TimelineId timeline, String type, int suspendSeconds) throws Exception {
        var spec = new EndpointSpec("prj-test", id, "br-" + id, timeline, type, 15, 0.25, 1, suspendSeconds, Map.of(),
                List.of(new EndpointSpec.RoleSpec(ROLE, PASSWORD, false)), List.of(new EndpointSpec.DatabaseSpec(DB, ROLE)));
        specs.put(id, spec);
        return spec;
    }

    String uri(String endpointId) {
        return ConnectionUris.postgresUri(ROLE, PASSWORD, endpointId, "localhost", proxyPort, DB);
    }

    /** Plaintext from this machine, routed by the endpoint option: the route {@code LocalBypass} takes. */
    String plainUri(String endpointId) {
        return "postgresql://" + ROLE + ":" + PASSWORD + "@127.0.0.1:" + proxyPort + "/" + DB
                + "?sslmode=disable&options=endpoint%3D" + endpointId;
    }

    Connection plainJdbc(String endpointId, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", ROLE);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        p.setProperty("options", "endpoint=" + endpointId);
        p.setProperty("connectTimeout", "60");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxyPort + "/" + DB, p);
    }

    Connection jdbc(String endpointId) throws SQLException {
        return jdbc(endpointId, ROLE, PASSWORD);
    }

    Connection jdbc(String endpointId, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "60");
        p.setProperty("sslResponseTimeout", "60000"); // pgjdbc's 5 s default for the 'S' reply is short on a loaded machine
        return DriverManager.getConnection(ConnectionUris.jdbcUrl(endpointId, "localhost", proxyPort, DB), p);
    }

    /** psql with the connection string as the only way to reach the endpoint; returns exit code and output. */
    static Procs.Result psql(String uri, String sql) throws IOException {
        var pb = new ProcessBuilder("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", uri, "-c", sql);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        return Procs.run(pb, null, 120);
    }

    @Override
    public void close() throws Exception {
        try {
            compute.close();
            proxy.close().await();
            vertx.close().await();
        } finally {
            store.close();
            deleteQuietly(dir);
        }
    }

    static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
