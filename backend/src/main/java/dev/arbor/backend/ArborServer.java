package dev.arbor.backend;

import dev.arbor.backend.api.AccountApi;
import dev.arbor.backend.api.Authenticator;
import dev.arbor.backend.api.BranchesApi;
import dev.arbor.backend.api.ConnectionInfo;
import dev.arbor.backend.api.Control;
import dev.arbor.backend.api.DatabasesApi;
import dev.arbor.backend.api.EndpointsApi;
import dev.arbor.backend.api.HttpApi;
import dev.arbor.backend.api.MaskingRulesApi;
import dev.arbor.backend.api.OperationsApi;
import dev.arbor.backend.api.ProjectsApi;
import dev.arbor.backend.api.RolesApi;
import dev.arbor.backend.api.Views;
import dev.arbor.backend.cluster.ClusterNode;
import dev.arbor.backend.cluster.ProjectForwarding;
import dev.arbor.backend.meta.ApiKeys;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Migrations;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.backend.metrics.ArborMetrics;
import dev.arbor.backend.metrics.Observability;
import dev.arbor.backend.ops.BranchStorage;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.ComputeSpecs;
import dev.arbor.backend.ops.OperationExecutor;
import dev.arbor.backend.ops.PageStoreBranchStorage;
import dev.arbor.backend.ops.Steps;
import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreConfig;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * One running Arbor control plane: metadata database (embedded cluster or external), page store,
 * operation executor, compute and the HTTP API. {@link #start} returns once {@code /healthz} would
 * answer 200; {@link #close} stops everything in reverse order.
 */
public final class ArborServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ArborServer.class);
    public static final String ADMIN_KEY_FILE = "admin-api-key";

    private final ServerConfig config;
    private final Deque<AutoCloseable> closers = new ArrayDeque<>();
    private int apiPort;
    private int proxyPort;
    private Path adminKeyFile;
    private OperationExecutor executor;
    private Db db;
    private PageStore store;
    private ArborMetrics metrics;
    private int metricsPort = -1;
    private ClusterNode cluster;

    private ArborServer(ServerConfig config) { this.config = config; }

    public static ArborServer start(ServerConfig config, ComputeFactory computeFactory) throws Exception {
        ArborServer s = new ArborServer(config);
        try {
            s.boot(computeFactory);
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    private void boot(ComputeFactory computeFactory) throws Exception {
        Path dir = config.dataDir().toAbsolutePath();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));

        // metadata database
        if (config.metadataUrl().isPresent()) {
            Jdbc j = Jdbc.parse(config.metadataUrl().get());
            db = new Db(j.url(), j.user(), j.password(), 16);
        } else {
            PgCluster cluster = new PgCluster(dir.resolve("metadata"), PgBinaries.locate()).start();
            closers.push(cluster);
            db = new Db(cluster.jdbcUrl(PgCluster.DATABASE), PgCluster.SUPERUSER, cluster.password(), 16);
        }
        closers.push(db);
        int version = Migrations.migrate(db);
        log.info("metadata schema at version {}", version);
        Secrets secrets = Secrets.loadOrCreate(dir.resolve("secret-key"));
        adminKeyFile = ensureAdminKey(dir);

        // page store and compute
        // a cluster node serves no timeline until it holds its project's lease (ClusterNode attaches them)
        store = PageStore.open(dir.resolve("store"),
                StoreConfig.server(),
                config.remoteStorage().map(dev.arbor.storage.remote.RemoteLayerConfig::open)
                        .map(r -> r.withAttachOnOpen(config.node().isEmpty())).orElse(null));
        closers.push(store);
        BranchStorage storage = new PageStoreBranchStorage(store);
        ComputeSpecs specs = new ComputeSpecs(db, secrets);
        cluster = config.node().map(n -> new ClusterNode(n, db, store, specs)).orElse(null);
        Vertx vertx = Vertx.vertx();
        closers.push(() -> vertx.close().await());
        ComputeControl compute = computeFactory.create(config, store, cluster == null ? specs : cluster.registry(), vertx);
        closers.push(compute);

        var twin = new dev.arbor.backend.twin.TwinImport(db, secrets, storage, dev.arbor.backend.twin.TwinImport.pgBin(),
                dir.resolve("imports"), "127.0.0.1", () -> proxyPort);
        executor = new OperationExecutor(db, twin.withStep(new Steps(db, storage, compute, specs).all()));
        closers.push(executor);
        metrics = new ArborMetrics(db, store);  // observability: /metrics, /healthz, /readyz, request ids
        if (compute instanceof LocalCompute lc) metrics.bindCompute(lc.manager(), lc.proxy());
        executor.listen(metrics);

        proxyPort = compute instanceof LocalCompute lc ? lc.proxyPort() : config.proxyPort();
        ConnectionInfo conn = new ConnectionInfo(config.proxyDomain(), proxyPort, ConnectionInfo.REGION);
        Authenticator auth = new Authenticator(db, config.rateLimitPerKey());
        Control ctl = new Control(db, new Views(conn), executor, storage, secrets, conn,
                new Control.Quotas(config.maxProjects(), config.maxBranchesPerProject(), config.maxActiveEndpointsPerProject(),
                        config.maxProtectedBranchesPerProject()), auth);
        BranchesApi branches = new BranchesApi(ctl);
        var maskingCheck = new dev.arbor.backend.ops.MaskingRulesCheck(db, storage, compute);
        HttpApi api = new HttpApi(vertx, auth,
                List.of(new ProjectsApi(ctl), branches, new EndpointsApi(ctl), new RolesApi(ctl), new DatabasesApi(ctl),
                        new dev.arbor.backend.api.ImportApi(ctl, twin),
                        new OperationsApi(ctl), new AccountApi(ctl), new MaskingRulesApi(ctl, maskingCheck), new dev.arbor.backend.api.ConsumptionApi(ctl),
                        new dev.arbor.backend.api.AnonymizedBranchesApi(ctl, branches, maskingCheck)));
        closers.push(api);
        Observability obs = Observability.mount(vertx, api.router(), metrics,
                Observability.readiness(db, storage::healthy, compute instanceof LocalCompute ? proxyPort : -1, Duration.ofSeconds(3)),
                config.metricsHost(), config.metricsPort());
        closers.push(obs);
        metricsPort = obs.metricsPort();
        new dev.arbor.backend.iac.TerraformStateApi(db, auth).mount(api.router());
        dev.arbor.backend.console.ConsoleRoutes.mount(api.router());
        if (cluster == null) {
            new dev.arbor.backend.ops.AnonScratch(db, storage, compute).releaseAll(); // what a crash mid-anonymization left
            executor.resumeUnfinished();
        }  // else: each project's unfinished operations resume on the node that takes its lease
        Expiry expiry = new Expiry(db, executor, branches);
        closers.push(expiry);
        if (cluster != null) api.gate(new ProjectForwarding(vertx, cluster));
        apiPort = api.listen(config.apiHost(), config.apiPort());
        if (cluster != null) {
            cluster.start(executor, compute, apiPort, proxyPort);
            closers.push(cluster);  // first to close: endpoints stop, writes reach the bucket, leases go back
        }
        log.info("arbor ready: API http://{}:{}/api/v2, data in {}, admin API key in {}", config.apiHost(), apiPort, dir, adminKeyFile);
    }

    /** First start: a new admin key (or ARBOR_API_KEY) written to {@code <dir>/admin-api-key}, mode 0600. */
    private Path ensureAdminKey(Path dir) throws IOException {
        Path file = dir.resolve(ADMIN_KEY_FILE);
        boolean hasKeys = db.tx(c -> ApiKeys.countLive(c) > 0);
        if (hasKeys && Files.exists(file)) return file;
        if (hasKeys && config.presetApiKey().isEmpty()) {
            log.info("admin API key file {} is missing; existing API keys stay valid", file);
            return file;
        }
        String key = config.presetApiKey().orElseGet(ApiKeys::generate);
        boolean known = db.tx(c -> ApiKeys.find(c, ApiKeys.hash(key)).isPresent());
        if (!known) db.tx(c -> ApiKeys.insert(c, "admin", key, null, "arbor", null));
        Path tmp = dir.resolve(ADMIN_KEY_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) { ch.force(true); }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("admin API key written to {} (mode 0600)", file);
        return file;
    }

    public int apiPort() { return apiPort; }
    public Path adminKeyFile() { return adminKeyFile; }
    public int proxyPort() { return proxyPort; }
    /** This node's cluster membership, or null when it runs alone. */
    public ClusterNode cluster() { return cluster; }
    /** The page store (tests compare its timelines with the metadata). */
    public PageStore store() { return store; }
    public String apiBase() { return "http://" + config.apiHost() + ":" + apiPort + "/api/v2"; }
    public ServerConfig config() { return config; }
    /** The server's metrics (tests read them directly; operators scrape {@code /metrics}). */
    public ArborMetrics metrics() { return metrics; }
    /** The separate metrics listener's port, or -1 when {@code /metrics} is served on the API port. */
    public int metricsPort() { return metricsPort; }

    @Override
    public void close() {
        while (!closers.isEmpty()) {
            AutoCloseable c = closers.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("shutdown: {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** {@code postgresql://user:pw@host:port/db?params} → pgjdbc URL plus credentials. */
    record Jdbc(String url, String user, String password) {
        static Jdbc parse(String url) {
            URI u = URI.create(url);
            if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
                throw new IllegalArgumentException("--metadata-url must be postgresql://user:password@host:port/database");
            }
            String user = null;
            String pw = null;
            if (u.getRawUserInfo() != null) {
                String[] parts = u.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                if (parts.length > 1) pw = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
            }
            String jdbc = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                    + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
            return new Jdbc(jdbc, user, pw);
        }
    }
}
