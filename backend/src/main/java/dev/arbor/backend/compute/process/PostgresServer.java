package dev.arbor.backend.compute.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One running postmaster: started in the foreground (we hold its pid, so a crash is seen at once),
 * reachable on a loopback port (for the proxy, password auth) and a private unix socket (for us, trust).
 */
public final class PostgresServer {
    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);

    /**
     * Settings every endpoint runs with. A branch of a running parent starts with crash recovery, and by default postgres first fsyncs every
     * file of the data directory (1.6 s over FUSE for a fresh cluster, O(files)). The volume was durable
     * when it was branched, so one syncfs() is enough.
     */
    public static final Map<String, String> ENDPOINT_DEFAULTS = Map.of("recovery_init_sync_method", "syncfs",
            // Full-page images stay on (the kernel's writeback cache may hand an 8 KiB page to the store in two
            // 4 KiB writes, so a crash can tear a page), but compressed: a branch's first change to each page after
            // a checkpoint logs that page, and WAL is what a short-lived branch mostly owns.
            // WAL itself is on the local disk while postgres runs (LocalWal), written and synced as on any data
            // directory, with postgres' defaults.
            "wal_compression", "lz4");

    /**
     * Added where pg_wal is on the volume itself (a Kubernetes pod on the storage agent's mount, which has no
     * {@code LocalWal}). The store is copy-on-write: zero-filling a new 16 MiB WAL segment only doubles WAL traffic
     * (holes read as zeros), and recycling old segments saves nothing. A commit is one FUSE write that the volume
     * makes durable before it answers (WAL files are opened with O_DSYNC and bypass the page cache, see TreeFs),
     * instead of a write-back of the WAL page plus an FSYNC round trip; every WAL write is then a sync, so bulk loads
     * need the WAL writer to write in big batches ahead of the backends: a bigger WAL ring and a 10 ms writer cycle
     * (measured: pgbench -i -s 50 took 19.8 s with open_datasync alone, 8.2-8.7 s with these, 9.8 s before).
     */
    public static final Map<String, String> WAL_ON_VOLUME = Map.of("wal_init_zero", "off", "wal_recycle", "off",
            "wal_sync_method", "open_datasync", "wal_buffers", "16MB", "wal_writer_delay", "10ms");

    private final Process process;
    private final Path dataDir;
    private final Path socketDir;
    private final int port;
    private final Path logFile;
    private volatile boolean stopping;

    private PostgresServer(Process process, Path dataDir, Path socketDir, int port, Path logFile) {
        this.process = process;
        this.dataDir = dataDir;
        this.socketDir = socketDir;
        this.port = port;
        this.logFile = logFile;
    }

    /**
     * Starts postgres on {@code dataDir} and waits until it accepts connections (hot standbys included).
     * Settings are passed as {@code -c} options so the branch's own postgresql.conf stays untouched.
     */
    public static PostgresServer start(PgInstall pg, Path dataDir, Path socketDir, Path logFile,
                                       Map<String, String> settings, long timeoutMillis) throws IOException {
        socketDir = shortSocketDir(socketDir);
        IOException last = null;
        for (int attempt = 0; attempt < 40; attempt++) {
            int port = freePort();
            List<String> args = new ArrayList<>(List.of("-D", dataDir.toString(),
                    "-c", "port=" + port, "-c", "listen_addresses=127.0.0.1",
                    "-c", "unix_socket_directories=" + socketDir, "-c", "logging_collector=off"));
            ENDPOINT_DEFAULTS.forEach((k, v) -> { args.add("-c"); args.add(k + "=" + v); });
            settings.forEach((k, v) -> { args.add("-c"); args.add(k + "=" + v); });
            ProcessBuilder pb = pg.builder("postgres", args);
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
            Process p = pb.start();
            PostgresServer s = new PostgresServer(p, dataDir, socketDir, port, logFile);
            try {
                s.awaitReady(pg, timeoutMillis);
                log.info("postgres pid {} ready on port {} ({})", p.pid(), port, dataDir);
                return s;
            } catch (IOException e) {
                s.kill();
                String tail = tail(logFile, logStart);
                last = new IOException(e.getMessage() + "; postgres log:\n" + tail, e);
                // Worth retrying: a port taken between probing and binding, and backends of a killed
                // postmaster still holding its shared memory (postgres' own interlock; they exit soon).
                boolean portTaken = tail.contains("could not bind") || tail.contains("Address already in use");
                boolean orphans = tail.contains("pre-existing shared memory block");
                if (!(portTaken && attempt < 3) && !orphans) throw last;
                if (orphans) sleep(250);
            }
        }
        throw last;
    }

    /** sun_path holds 107 bytes; ".s.PGSQL.65535.lock" is the longest name postgres puts there. */
    public static final int MAX_SOCKET_DIR = 107 - ".s.PGSQL.65535.lock".length() - 1;

    /**
     * Postgres refuses to start when its socket path does not fit in sun_path, and endpoint directories
     * live under a configurable data dir with ids of varying length. A too-long directory is reached
     * through a short symlink in the temp dir instead (the socket itself stays in the endpoint's private
     * directory); the link's name is a hash of the real path, so restarts reuse it.
     */
    static Path shortSocketDir(Path socketDir) throws IOException {
        Path dir = socketDir.toAbsolutePath();
        if (dir.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_SOCKET_DIR) return dir;
        Path links = Path.of(System.getProperty("java.io.tmpdir"), "arbor-sockets");
        Files.createDirectories(links);
        String hash;
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(dir.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            hash = java.util.HexFormat.of().formatHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path link = links.resolve(hash);
        Path tmp = links.resolve(hash + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().threadId() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, dir);
        Files.move(tmp, link, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return link;
    }

    /**
     * Watches the status line postgres keeps in postmaster.pid ("ready" or, for a hot standby, "standby"),
     * which costs a file read instead of a connection attempt (and a FATAL log line) per poll.
     */
    private void awaitReady(PgInstall pg, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Path pidFile = dataDir.resolve("postmaster.pid");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("postgres exited with " + process.exitValue() + " during start-up");
            // "ready"/"standby" is written once the postmaster accepts connections (PG >= 10); no probe needed
            if (statusReady(pidFile)) return;
            sleep(5);
        }
        throw new IOException("postgres did not accept connections within " + timeoutMillis + " ms");
    }

    private boolean statusReady(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 8 || !lines.getFirst().trim().equals(Long.toString(process.pid()))) return false;
            String status = lines.get(7).trim();
            return status.equals("ready") || status.equals("standby");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public long pid() { return process.pid(); }
    public int port() { return port; }
    public Path socketDir() { return socketDir; }
    /** The private unix socket (trust auth: only compute and the proxy, which authenticated the client, reach it). */
    public Path socketFile() { return socketDir.resolve(".s.PGSQL." + port); }
    public Path dataDir() { return dataDir; }
    public boolean alive() { return process.isAlive(); }
    public boolean stopping() { return stopping; }
    public CompletableFuture<Process> onExit() { return process.onExit(); }

    /**
     * Fast shutdown (SIGINT: disconnect clients, checkpoint), escalating to immediate (SIGQUIT) and
     * SIGKILL if it hangs. Waits for the postmaster, whose exit follows its children's.
     */
    public void stop(long timeoutMillis) {
        stopping = true;
        if (!process.isAlive()) return;
        Procs.signal(process.pid(), "INT");
        if (waitExit(timeoutMillis)) return;
        log.warn("postgres pid {} ignored fast shutdown for {} ms; immediate shutdown", process.pid(), timeoutMillis);
        Procs.signal(process.pid(), "QUIT");
        if (waitExit(5000)) return;
        kill();
    }

    /** SIGKILL (tests, and a postmaster that will not die). Children notice the dead postmaster and exit. */
    public void kill() {
        stopping = true;
        if (!process.isAlive()) return;
        Procs.signal(process.pid(), "KILL");
        waitExit(5000);
    }

    private boolean waitExit(long millis) {
        try {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    public String logTail() { return tail(logFile, 0); }

    static String tail(Path logFile, long from) {
        try {
            byte[] b = Files.readAllBytes(logFile);
            int start = (int) Math.max(from, b.length - 4000L);
            return new String(b, Math.min(start, b.length), b.length - Math.min(start, b.length));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
