package dev.arbor.backend.compute.bench;

import dev.arbor.backend.compute.ComputeConfig;
import dev.arbor.backend.compute.ComputeManager;
import dev.arbor.backend.compute.ConnectionUris;
import dev.arbor.backend.compute.EndpointStatus;
import dev.arbor.backend.compute.PageStoreTrees;
import dev.arbor.backend.compute.process.PgInstall;
import dev.arbor.backend.compute.process.Procs;
import dev.arbor.backend.compute.proxy.PgProxy;
import dev.arbor.backend.compute.proxy.ProxyTls;
import dev.arbor.backend.compute.volume.FuseVolume;
import dev.arbor.backend.metrics.Histogram;
import dev.arbor.backend.ops.EndpointRegistry;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreConfig;
import dev.arbor.storage.TimelineId;
import io.vertx.core.Vertx;
import org.cryptomator.jfuse.api.FuseOperations.Operation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * scripts/bench-compute: endpoint cold start on small vs large branches and vs a bare pg_ctl start of a local
 * copy, pgbench TPS on a branch endpoint vs the same PostgreSQL on a plain local data dir, and the memory of
 * 20 suspended + 3 active endpoints. Everything real: page store, FUSE, proxy with TLS, psql, pgbench.
 */
public final class ComputeBench implements AutoCloseable {
    static final String ROLE = "bench_owner", PW = "bench-Pw-1", DB = "benchdb";
    static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    final Path dir;
    final PageStore store;
    final ComputeManager cm;
    final Vertx vertx = Vertx.vertx();
    final int proxyPort;
    final Map<String, EndpointSpec> specs = new ConcurrentHashMap<>();
    final PgInstall pg = PgInstall.locate();
    final int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "30"));
    final int bigScale = Integer.parseInt(System.getenv().getOrDefault("BENCH_SCALE", "50"));
    final int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "3"));

    ComputeBench() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-bench-compute-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        StoreConfig sc = StoreConfig.server();  // as the server runs it; BENCH_OPEN_MB / BENCH_IMAGE_THRESHOLD to try others
        if (System.getenv("BENCH_IMAGE_THRESHOLD") != null) sc = sc.withImageThreshold(Integer.parseInt(System.getenv("BENCH_IMAGE_THRESHOLD")));
        if (System.getenv("BENCH_OPEN_MB") != null) sc = sc.withOpenLayerBytes(Long.parseLong(System.getenv("BENCH_OPEN_MB")) << 20);
        store = PageStore.open(dir.resolve("store"), sc);
        cm = new ComputeManager(new ComputeConfig(dir, pg, Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofSeconds(1)),
                new PageStoreTrees(store));
        cm.setRegistry(new EndpointRegistry() {
            @Override public Optional<EndpointSpec> spec(String id) { return Optional.ofNullable(specs.get(id)); }
            @Override public void reportActive(String id) {}
            @Override public void reportIdle(String id) {}
        });
        var tls = ProxyTls.selfSigned(dir.resolve("tls"), "localhost");
        cm.serveProxyCertificate(tls, vertx);  // as the server does
        var proxy = new PgProxy(vertx, cm, tls);
        proxyPort = proxy.listen("127.0.0.1", 0).await();
    }

    EndpointSpec spec(String id, TimelineId t) {
        var s = new EndpointSpec("bench", id, "br-" + id, t, "read_write", 15, 0.25, 1, -1, benchPg(),
                List.of(new EndpointSpec.RoleSpec(ROLE, PW, false)), List.of(new EndpointSpec.DatabaseSpec(DB, ROLE)));
        specs.put(id, s);
        return s;
    }

    /** BENCH_WAL_TIMING=1: track_wal_io_timing on native and the branch, and the WAL writes' mean time per route. */
    static final boolean WAL_TIMING = System.getenv("BENCH_WAL_TIMING") != null;

    /** BENCH_PG=name=value,...: extra settings for the branch endpoints (to try a setting against native). */
    static Map<String, String> benchPg() {
        Map<String, String> m = new java.util.HashMap<>();
        for (String kv : System.getenv().getOrDefault("BENCH_PG", "").split(",")) if (kv.contains("=")) m.put(kv.split("=")[0], kv.split("=")[1]);
        if (WAL_TIMING) m.put("track_wal_io_timing", "on");
        return m;
    }

    /** What {@code neonctl connection-string} prints: the endpoint's host routes by SNI, SCRAM-SHA-256-PLUS in the proxy. */
    String uri(String ep) {
        return "postgresql://" + ROLE + ":" + PW + "@" + ConnectionUris.endpointHost(ep, "localhost", proxyPort) + "/" + DB
                + "?sslmode=require&channel_binding=require";
    }

    static String direct(int port) { return "postgresql://" + ROLE + ":" + PW + "@127.0.0.1:" + port + "/" + DB + "?sslmode=disable"; }

    /** Native postgres over TLS (the local copy runs with ssl=on): what the TLS hop costs libpq and postgres alone. */
    static String directTls(int port) { return "postgresql://" + ROLE + ":" + PW + "@127.0.0.1:" + port + "/" + DB + "?sslmode=require"; }

    /** Through the proxy in plaintext: routed by the endpoint option, SCRAM-SHA-256 without channel binding. */
    String proxyPlain(String ep) {
        return "postgresql://" + ROLE + ":" + PW + "@127.0.0.1:" + proxyPort + "/" + DB + "?sslmode=disable&options=endpoint%3D" + ep;
    }

    static Procs.Result client(String tool, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        cmd.addAll(args);
        var pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        var r = Procs.run(pb, null, 3600);
        if (r.exit() != 0) throw new IOException(tool + " " + args + " failed: " + r.output());
        return r;
    }

    static long jvmCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
    }

    /** Busy and all jiffies of the whole machine from /proc/stat (busy: user, nice, system, irq, softirq, steal). */
    static long[] machineJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = 0, all = 0;
            for (int i = 1; i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                all += v;
                if (i != 4 && i != 5) busy += v;  // 4 idle, 5 iowait
            }
            return new long[] {busy, all};
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static double ms(long nanos) { return nanos / 1e6; }

    /** The median; of an even count, the mean of the middle two (before, the upper one: BENCH_ROUNDS=2 reported the better round). */
    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** A root timeline with pgbench data at {@code scale}, its endpoint left running and checkpointed. */
    TimelineId dataset(String ep, int scale) throws Exception {
        TimelineId root = store.createTimeline();
        cm.initTimeline(root);
        cm.applyConfig(spec(ep, root));
        long t0 = System.nanoTime();
        client("pgbench", List.of("-i", "-q", "-s", Integer.toString(scale), uri(ep)));
        System.out.printf("pgbench -i -s %d on a FUSE endpoint through the proxy: %.1f s%n", scale, ms(System.nanoTime() - t0) / 1000);
        cm.adminSql(ep, DB, "CHECKPOINT");
        return root;
    }

    /**
     * create branch -> endpoint spec -> psql first query through the proxy (which wakes it). Creating a branch at the
     * head of a running parent starts, as in the API's operation, with {@code checkpoint}: a CHECKPOINT when over 1 MiB
     * of WAL is since the last one, and the parent's local WAL copied into the store.
     */
    double coldStart(TimelineId parent, String ep) throws Exception {
        long t0 = System.nanoTime();
        cm.checkpoint(parent);
        TimelineId child = store.branch(parent, BranchPoint.head());
        spec(ep, child);
        var r = client("psql", List.of("-X", "-At", uri(ep), "-c", "SELECT count(*) > 0 FROM pgbench_branches"));
        double t = ms(System.nanoTime() - t0);
        if (!r.output().trim().equals("t")) throw new IllegalStateException("unexpected: " + r.output());
        if (System.getenv("BENCH_VERBOSE") != null)
            System.out.println(Files.readString(dir.resolve("compute").resolve(ep).resolve("postgres.log")));
        cm.delete(specs.remove(ep));
        store.delete(child);
        return t;
    }

    double tps(String uri, boolean readOnly) throws IOException { return tps(uri, readOnly, seconds); }

    double tps(String uri, boolean readOnly, int seconds) throws IOException {
        List<String> args = new ArrayList<>(List.of("-n", "-c", "4", "-j", "2", "-T", Integer.toString(seconds)));
        if (readOnly) args.add("-S");
        args.add(uri);
        Matcher m = TPS.matcher(client("pgbench", args).output());
        if (!m.find()) throw new IllegalStateException("no tps in pgbench output");
        return Double.parseDouble(m.group(1));
    }

    /** One row of the TPS matrix: the same pgbench run against one way of reaching postgres. */
    record Route(String name, String uri) {}

    /**
     * pgbench rw and ro through every route, {@code rounds} times interleaved (so load drift hits all routes alike),
     * printing medians and the ratios to native: plaintext against plaintext and TLS against TLS, since libpq and
     * postgres pay for TLS themselves.
     */
    void tpsMatrix(int nativePort, String ep, int branchPort, int rounds) throws IOException {
        List<Route> routes = List.of(new Route("native", direct(nativePort)), new Route("native TLS", directTls(nativePort)),
                new Route("direct", direct(branchPort)), new Route("proxy TLS", uri(ep)), new Route("proxy plain", proxyPlain(ep)));
        // BENCH_ROUTES=native,direct and BENCH_MODES=rw narrow the matrix for a quick look; ratios need native and the route
        List<String> only = List.of(System.getenv().getOrDefault("BENCH_ROUTES", "").split(","));
        if (!only.getFirst().isEmpty()) routes = routes.stream().filter(r -> only.contains(r.name())).toList();
        String modes = System.getenv().getOrDefault("BENCH_MODES", "rw,ro");
        // The native copy starts with every file in the page cache (its cp wrote them); give the endpoint the same start
        // by reading its files once through the mount (BENCH_PRELOAD=0: cold FUSE cache, as before 2026-11-26 10:30).
        if (!"0".equals(System.getenv("BENCH_PRELOAD"))) preload(dir.resolve("compute").resolve(ep).resolve("pgdata"));
        for (boolean ro : List.of(false, true)) {
            if (!modes.contains(ro ? "ro" : "rw")) continue;
            Map<String, List<Double>> runs = new java.util.LinkedHashMap<>();
            Map<String, List<Double>> cpu = new java.util.LinkedHashMap<>();
            Map<String, List<Double>> machine = new java.util.LinkedHashMap<>(), busyShare = new java.util.LinkedHashMap<>();
            // Untimed warm-up of every route (BENCH_WARMUP seconds, default 10): the native copy's pages are in the page
            // cache from its cp, the endpoint's FUSE page cache starts cold and this JVM's JIT has not compiled the write path.
            int warmup = Integer.parseInt(System.getenv().getOrDefault("BENCH_WARMUP", "10"));
            if (warmup > 0) for (Route r : routes) tps(r.uri(), ro, warmup);
            for (int i = 0; i < rounds; i++)
                for (Route r : routes) {
                    long cpu0 = jvmCpuNanos();
                    long[] m0 = machineJiffies();
                    Map<Operation, Histogram.Snapshot> ops0 = fuseOps();
                    long stored0 = storeWrittenBytes(), images0 = store.counters().imageLayersWritten();
                    int port = r.name().startsWith("native") ? nativePort : branchPort;
                    double[] wal0 = WAL_TIMING ? walStats(port) : null;
                    double tps = tps(r.uri(), ro);
                    if (WAL_TIMING) {  // postgres' own view of its WAL writes (with open_datasync the sync is in the write)
                        double[] wal1 = walStats(port);
                        double writes = wal1[0] - wal0[0], syncs = wal1[1] - wal0[1];
                        System.out.printf("  WAL per %s transaction, %s: %.2f writes x %.0f us, %.2f syncs x %.0f us%n", ro ? "ro" : "rw",
                                r.name(), writes / (tps * seconds), (wal1[2] - wal0[2]) * 1e3 / Math.max(1, writes),
                                syncs / (tps * seconds), (wal1[3] - wal0[3]) * 1e3 / Math.max(1, syncs));
                    }
                    runs.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(tps);
                    if (r.name().equals("direct")) System.out.println("  FUSE per " + (ro ? "ro" : "rw") + " transaction, direct: "
                            + fuseOpsPerTx(ops0, fuseOps(), tps * seconds) + String.format("store %.1f KiB appended per transaction, %d image layers written",
                            (storeWrittenBytes() - stored0) / 1024.0 / (tps * seconds), store.counters().imageLayersWritten() - images0));
                    cpu.computeIfAbsent(r.name(), k -> new ArrayList<>()).add((jvmCpuNanos() - cpu0) / 1e3 / (tps * seconds));
                    long[] m1 = machineJiffies();  // USER_HZ is 100 on Linux: a jiffy is 10 ms
                    machine.computeIfAbsent(r.name(), k -> new ArrayList<>()).add((m1[0] - m0[0]) * 1e4 / (tps * seconds));
                    busyShare.computeIfAbsent(r.name(), k -> new ArrayList<>()).add((m1[0] - m0[0]) * 100.0 / (m1[1] - m0[1]));
                }
            String mode = ro ? "ro" : "rw";
            StringBuilder line = new StringBuilder("pgbench " + mode + " TPS (median of " + rounds + "):");
            runs.forEach((k, v) -> line.append(String.format(" %s %.0f %s |", k, median(v), v)));
            System.out.println(line);
            // CPU of this JVM (proxy, FUSE daemon, store) per transaction: what the proxy costs, independent of the load
            StringBuilder cpuLine = new StringBuilder("server JVM CPU per " + mode + " transaction (median):");
            cpu.forEach((k, v) -> cpuLine.append(String.format(" %s %.1f us |", k, median(v))));
            System.out.println(cpuLine);
            // The whole machine's CPU per transaction (postgres, pgbench, this JVM, kernel): with the cores saturated,
            // TPS follows it, and it moves less from run to run than TPS
            StringBuilder machineLine = new StringBuilder("machine CPU per " + mode + " transaction (median, busy %):");
            machine.forEach((k, v) -> machineLine.append(String.format(" %s %.0f us (%.0f%%) |", k, median(v), median(busyShare.get(k)))));
            System.out.println(machineLine);
            if (!only.getFirst().isEmpty()) continue;
            double n = median(runs.get("native")), nt = median(runs.get("native TLS"));
            System.out.printf("RATIO %s branch/native = %.2f via proxy (TLS / native TLS), %.2f via proxy (TLS / native plaintext),"
                            + " %.2f via proxy (plaintext / native plaintext), %.2f direct (goal >= %s)%n", mode,
                    median(runs.get("proxy TLS")) / nt, median(runs.get("proxy TLS")) / n, median(runs.get("proxy plain")) / n,
                    median(runs.get("direct")) / n, ro ? "0.9" : "0.8");
        }
    }

    /** pg_stat_wal's wal_write, wal_sync, wal_write_time and wal_sync_time (ms) of the server on {@code port}. */
    private double[] walStats(int port) throws IOException {
        String out = client("psql", List.of("-X", "-At", "-F", ",", direct(port), "-c",
                "SELECT wal_write, wal_sync, wal_write_time, wal_sync_time FROM pg_stat_wal")).output().strip();
        return java.util.Arrays.stream(out.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    /** Reads every file under {@code root} once, which leaves its pages in the kernel's cache of the mount. */
    private static void preload(Path root) throws IOException {
        long t0 = System.nanoTime(), bytes = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator)
                try (var ch = java.nio.channels.FileChannel.open(p)) {
                    for (int n; (n = ch.read(buf.clear())) > 0; ) bytes += n;
                }
        }
        System.out.printf("  preloaded %d MiB of the endpoint's files through its mount in %.1f s%n", bytes >> 20, (System.nanoTime() - t0) / 1e9);
    }

    /** Bytes of block and metadata values appended to every timeline of the store so far. */
    private long storeWrittenBytes() {
        return store.timelines().stream().mapToLong(t -> store.timeline(t.id()).writtenBytes()).sum();
    }

    private Map<Operation, Histogram.Snapshot> fuseOps() {
        Map<Operation, Histogram.Snapshot> m = new java.util.EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) m.put(op, cm.fuseStats().of(op).snapshot());
        return m;
    }

    /** FUSE callbacks per transaction between two snapshots: count and mean time in the callback, by operation. */
    private static String fuseOpsPerTx(Map<Operation, Histogram.Snapshot> a, Map<Operation, Histogram.Snapshot> b, double txs) {
        StringBuilder s = new StringBuilder();
        for (Operation op : Operation.values()) {
            long n = b.get(op).count() - a.get(op).count();
            if (n == 0) continue;
            double secs = b.get(op).sumSeconds() - a.get(op).sumSeconds();
            s.append(String.format("%s %.2f x %.1f us", op.name().toLowerCase(java.util.Locale.ROOT), n / txs, secs * 1e6 / n));
            // the tail: a commit is one WAL write, and a stall of one stalls every transaction queued behind it
            int at = java.util.Arrays.binarySearch(b.get(op).bounds(), 0.0025);
            if (op == Operation.WRITE && at >= 0) {
                long slow = (n - (b.get(op).cumulative()[at] - a.get(op).cumulative()[at]));
                s.append(String.format(" (%.1f per 1000 transactions over 2.5 ms)", slow * 1000 / txs));
            }
            s.append(" | ");
        }
        return s.toString();
    }

    /** A local, non-FUSE copy of a timeline's cluster, for the native baseline. */
    Path nativeCopy(TimelineId timeline) throws Exception {
        Path mnt = dir.resolve("copy-mnt");
        Path copy = dir.resolve("native");
        try (FuseVolume v = FuseVolume.mount(store.readOnlyTree(timeline), mnt, pg.runAs(), store.directory())) {
            client("cp", List.of("-a", mnt + "/.", copy.toString()));
        }
        client("chown", List.of("-R", pg.runAs().uid() + ":" + pg.runAs().gid(), copy.toString()));
        client("chmod", List.of("0700", copy.toString()));
        Files.deleteIfExists(copy.resolve("postmaster.pid"));
        return copy;
    }

    record Native(int port, double startMs) {}

    Native nativeStart(Path data, Path sock) throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) { port = s.getLocalPort(); }
        Path crt = sock.resolve("server.crt"), key = sock.resolve("server.key");
        if (!Files.exists(key)) {  // TLS for the native baseline too, so "via proxy with TLS" has a like-for-like native figure
            client("openssl", List.of("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key.toString(), "-out", crt.toString(), "-days", "2", "-subj", "/CN=localhost"));
            client("chown", List.of(pg.runAs().uid() + ":" + pg.runAs().gid(), crt.toString(), key.toString()));
            client("chmod", List.of("0600", key.toString()));
        }
        long t0 = System.nanoTime();
        var r = Procs.run(pg.builder("pg_ctl", List.of("-D", data.toString(), "-w", "-l", sock.resolve("native.log").toString(),
                "-o", "-c port=" + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + sock
                        + " -c ssl=on -c ssl_cert_file=" + crt + " -c ssl_key_file=" + key
                        + (WAL_TIMING ? " -c track_wal_io_timing=on" : ""), "start")), null, 120);
        if (r.exit() != 0) throw new IOException("pg_ctl start failed: " + r.output());
        client("psql", List.of("-X", "-At", direct(port), "-c", "SELECT count(*) > 0 FROM pgbench_branches"));
        return new Native(port, ms(System.nanoTime() - t0));
    }

    void nativeStop(Path data) throws IOException {
        Procs.run(pg.builder("pg_ctl", List.of("-D", data.toString(), "-w", "-m", "fast", "stop")), null, 120);
    }

    static long pssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup")))
                if (line.startsWith("Pss:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        } catch (IOException e) {
            // process gone
        }
        return 0;
    }

    static long selfRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        return 0;
    }

    void run() throws Exception {
        System.out.printf("== bench-compute: %d cores, pgbench -c 4 -j 2 -T %d, scales 1 and %d, %d cold-start rounds%n",
                Runtime.getRuntime().availableProcessors(), seconds, bigScale, rounds);
        TimelineId small = dataset("ep-s1", 1);
        TimelineId big = dataset("ep-s" + bigScale, bigScale);

        // --- cold start: create branch -> first query, parents running (checkpointed)
        List<Double> coldSmall = new ArrayList<>(), coldBig = new ArrayList<>();
        coldStart(small, "ep-warmup"); // first mount in a JVM pays for jfuse/FFM linking
        // a long-running server has its TLS and proxy paths compiled; so should the benchmark's
        List<Double> connect = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            long t0 = System.nanoTime();
            client("psql", List.of("-X", "-At", uri("ep-s1"), "-c", "SELECT 1"));
            connect.add(ms(System.nanoTime() - t0));
        }
        List<Double> connectDirect = new ArrayList<>();
        int s1Port = ((EndpointStatus.Running) cm.status("ep-s1")).port();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            client("psql", List.of("-X", "-At", direct(s1Port), "-c", "SELECT 1"));
            connectDirect.add(ms(System.nanoTime() - t0));
        }
        for (int i = 0; i < rounds; i++) {
            coldSmall.add(coldStart(small, "ep-cold-s1-" + i));
            coldBig.add(coldStart(big, "ep-cold-big-" + i));
        }
        // --- the same with the parents suspended (cleanly shut down): no crash recovery on the branch
        cm.suspend("ep-s" + bigScale);
        cm.suspend("ep-s1");
        List<Double> coldSmallIdle = new ArrayList<>(), coldBigIdle = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            coldSmallIdle.add(coldStart(small, "ep-cold-idle-s1-" + i));
            coldBigIdle.add(coldStart(big, "ep-cold-idle-big-" + i));
        }
        // --- native baseline: pg_ctl start of a plain local copy of the same cluster
        Path copy = nativeCopy(big);
        Path sock = Files.createDirectories(dir.resolve("native-sock"));
        client("chown", List.of(pg.runAs().uid() + ":" + pg.runAs().gid(), sock.toString()));
        List<Double> nativeStarts = new ArrayList<>();
        Native nat = null;
        for (int i = 0; i < rounds; i++) {
            nat = nativeStart(copy, sock);
            nativeStarts.add(nat.startMs());
            if (i < rounds - 1) nativeStop(copy);
        }
        double cs = median(coldSmall), cb = median(coldBig), ns = median(nativeStarts);
        System.out.printf("cold start (create branch -> first query via proxy), scale 1:  median %.0f ms  %s%n", cs, coldSmall);
        System.out.printf("cold start (create branch -> first query via proxy), scale %d: median %.0f ms  %s%n", bigScale, cb, coldBig);
        double csi = median(coldSmallIdle), cbi = median(coldBigIdle);
        System.out.printf("cold start, parent suspended (clean image), scale 1:  median %.0f ms  %s%n", csi, coldSmallIdle);
        System.out.printf("cold start, parent suspended (clean image), scale %d: median %.0f ms  %s%n", bigScale, cbi, coldBigIdle);
        System.out.printf("native pg_ctl start -w + first query on a local copy, scale %d: median %.0f ms  %s%n", bigScale, ns, nativeStarts);
        System.out.printf("psql connect + SELECT 1 on a running endpoint: via proxy (TLS) median %.0f ms, direct (no TLS) median %.0f ms%n",
                median(connect.subList(20, 30)), median(connectDirect));
        System.out.printf("RATIO cold start scale %d / scale 1 = %.2f (goal <= 1.3)%n", bigScale, cb / cs);
        System.out.printf("RATIO cold start scale %d / native pg_ctl start = %.2f (goal <= 1.5)%n", bigScale, cb / ns);
        System.out.printf("RATIO parent suspended: scale %d / scale 1 = %.2f, scale %d / native = %.2f%n", bigScale, cbi / csi, bigScale, cbi / ns);

        // --- TPS: branch endpoint (FUSE, via proxy+TLS and direct) vs the same PostgreSQL on the local copy
        cm.checkpoint(big);
        TimelineId tpsBranch = store.branch(big, BranchPoint.head());
        cm.applyConfig(spec("ep-tps", tpsBranch));
        int branchPort = ((EndpointStatus.Running) cm.status("ep-tps")).port();
        tpsMatrix(nat.port(), "ep-tps", branchPort, 1);
        nativeStop(copy);
        cm.suspend("ep-tps");

        // --- memory: 20 suspended + 3 active endpoints (each on its own branch of the scale-1 data)
        System.gc();
        long rssBefore = selfRssKb();
        for (int i = 0; i < 20; i++) {
            String ep = "ep-idle-" + i;
            spec(ep, store.branch(small, BranchPoint.head()));
            client("psql", List.of("-X", "-At", uri(ep), "-c", "SELECT 1"));
            cm.suspend(ep);
        }
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String ep = "ep-active-" + i;
            spec(ep, store.branch(small, BranchPoint.head()));
            client("pgbench", List.of("-n", "-c", "2", "-T", "3", uri(ep)));
            pids.add(((EndpointStatus.Running) cm.status(ep)).pid());
        }
        System.gc();
        long jvmRss = selfRssKb();
        long pgPss = 0;
        int procs = 0;
        for (long pid : pids) {
            List<Long> tree = new ArrayList<>(List.of(pid));
            ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> tree.add(d.pid())));
            for (long p : tree) { pgPss += pssKb(p); procs++; }
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("memory, 20 suspended + 3 active endpoints: server JVM RSS %d MiB (was %d MiB before; heap used %d MiB),"
                        + " postgres PSS %d MiB over %d processes, total %d MiB%n",
                jvmRss / 1024, rssBefore / 1024, (rt.totalMemory() - rt.freeMemory()) >> 20, pgPss / 1024, procs, (jvmRss + pgPss) / 1024);
    }

    /** Stops every endpoint, the proxy and the store, and removes the benchmark's directory. */
    @Override
    public void close() throws Exception {
        try {
            cm.close();
            vertx.close().await();
            store.close();
        } finally {
            Procs.run(new ProcessBuilder("rm", "-rf", dir.toString()), null, 600);
        }
    }

    public static void main(String[] args) throws Exception {
        try (ComputeBench b = new ComputeBench()) {
            b.run();
        }
        System.exit(0);
    }
}
