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
            // The store is copy-on-write: zero-filling a new 16 MiB WAL segment only doubles WAL traffic (holes
            // read as zeros), and recycling old segments saves nothing. PostgreSQL offers both knobs for COW filesystems.
            "wal_init_zero", "off", "wal_recycle", "off",
            // Full-page images stay on (the kernel's writeback cache may hand an 8 KiB page to the store in two
            // 4 KiB writes, so a crash can tear a page), but compressed: a branch's first change to each page after
            // a checkpoint logs that page, and WAL is what a short-lived branch mostly owns.
            "wal_compression", "lz4");

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
