package dev.arbor.backend;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code arbor}: the command line. {@code arbor server} runs the control plane until SIGTERM/SIGINT. */
@Command(name = "arbor", mixinStandardHelpOptions = true, version = "arbor 0.1.0",
        description = "Self-hosted, Neon-style PostgreSQL branching.",
        subcommands = {Main.Server.class, dev.arbor.backend.cli.BranchCommand.class, dev.arbor.backend.cli.ConnectionStringCommand.class,
                dev.arbor.backend.cli.EndpointCommand.class, dev.arbor.backend.cli.ImportCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        int rc = new CommandLine(new Main()).execute(args);
        if (rc != 0) System.exit(rc);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    @Command(name = "server", mixinStandardHelpOptions = true,
            description = "Run the Arbor control plane: Neon-compatible API, metadata database, page store, compute and proxy.")
    static final class Server implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "./.arbor", description = "All server state lives here (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--api-host", defaultValue = "127.0.0.1", description = "Address the HTTP API binds to (default: ${DEFAULT-VALUE}).")
        String apiHost;

        @Option(names = "--api-port", defaultValue = "4242", description = "HTTP API port (default: ${DEFAULT-VALUE}).")
        int apiPort;

        @Option(names = "--proxy-port", defaultValue = "55432",
                description = "Postgres-protocol proxy port for endpoints (default: ${DEFAULT-VALUE}, not 5432 so a system PostgreSQL keeps its port).")
        int proxyPort;

        @Option(names = "--proxy-domain", defaultValue = "localhost",
                description = "Endpoint hosts are <endpoint-id>.<domain> (default: ${DEFAULT-VALUE}).")
        String proxyDomain;

        @Option(names = "--metadata-url", description = "External metadata database, postgresql://user:password@host:port/db (default: an embedded PostgreSQL 15 under DATA_DIR/metadata).")
        String metadataUrl;

        @Option(names = "--remote-storage", description = "Keep page store layers in an S3-compatible bucket, local disk as a cache: "
                + "s3://bucket[/prefix]?endpoint=http://host:port&region=r&cache_mib=N (keys: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; docs/scale-out.md).")
        String remoteStorage;

        @Option(names = "--max-projects", defaultValue = "1000", description = "Quota: live projects (default: ${DEFAULT-VALUE}).")
        int maxProjects;

        @Option(names = "--max-branches-per-project", defaultValue = "500", description = "Quota: live branches per project (default: ${DEFAULT-VALUE}).")
        int maxBranches;

        @Option(names = "--max-active-endpoints-per-project", defaultValue = "20", description = "Quota: enabled endpoints per project (default: ${DEFAULT-VALUE}).")
        int maxEndpoints;

        @Option(names = "--max-protected-branches", defaultValue = "5", description = "Quota: protected branches per project (default: ${DEFAULT-VALUE}).")
        int maxProtected;

        @Option(names = "--rate-limit", defaultValue = "500", description = "Requests per second per API key (default: ${DEFAULT-VALUE}).")
        double rateLimit;

        @Option(names = "--no-compute", description = "Run without compute: endpoints stay idle (API and branching only).")
        boolean noCompute;

        @Option(names = "--metrics-port", defaultValue = "-1", description = "Serve /metrics (with /healthz, /readyz) on a listener of "
                + "its own on this port, and not on the API port (default: -1, /metrics on the API port; see docs/observability.md).")
        int metricsPort;

        @Option(names = "--metrics-host", defaultValue = "127.0.0.1", description = "Address the --metrics-port listener binds to (default: ${DEFAULT-VALUE}).")
        String metricsHost;

        @Option(names = "--node-id", description = "Run as one node of several sharing --metadata-url and --remote-storage; "
                + "each project is served by the node holding its lease, and another node takes over when it dies (docs/scale-out.md).")
        String nodeId;

        @Option(names = "--advertise-host", description = "Host other nodes and clients reach this node's API and proxy on (default: --api-host).")
        String advertiseHost;

        @Option(names = "--lease-ttl", defaultValue = "15s", converter = DurationConverter.class,
                description = "With --node-id: a node silent this long loses its projects to other nodes (default: ${DEFAULT-VALUE}).")
        java.time.Duration leaseTtl;

        @Option(names = "--upload-interval", defaultValue = "5s", converter = DurationConverter.class,
                description = "With --node-id: how often new writes are pushed to the bucket, the most a lost node's disk alone holds (default: ${DEFAULT-VALUE}).")
        java.time.Duration uploadInterval;

        @Override
        public Integer call() throws Exception {
            String preset = System.getenv("ARBOR_API_KEY");
            ServerConfig cfg = new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, Optional.ofNullable(metadataUrl),
                    maxProjects, maxBranches, maxEndpoints, rateLimit,
                    Optional.ofNullable(preset == null || preset.isBlank() ? null : preset.strip()),
                    metricsHost, metricsPort, maxProtected, Optional.ofNullable(remoteStorage),
                    Optional.ofNullable(nodeId).map(id -> new dev.arbor.backend.cluster.NodeConfig(id,
                            advertiseHost == null ? apiHost : advertiseHost, leaseTtl, uploadInterval)));
            ArborServer server = ArborServer.start(cfg, noCompute ? ComputeFactory.none() : LocalCompute.factory());
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "arbor-shutdown"));
            stopped.await();
            return 0;
        }
    }

    /** {@code 500ms}, {@code 15s}, {@code 2m}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<java.time.Duration> {
        @Override
        public java.time.Duration convert(String v) {
            var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(v.strip());
            if (!m.matches()) throw new CommandLine.TypeConversionException("'" + v + "' is not a duration like 500ms, 15s or 2m");
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> java.time.Duration.ofMillis(n);
                case "s" -> java.time.Duration.ofSeconds(n);
                default -> java.time.Duration.ofMinutes(n);
            };
        }
    }
}
