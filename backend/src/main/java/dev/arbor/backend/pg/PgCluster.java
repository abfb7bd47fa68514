package dev.arbor.backend.pg;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The embedded metadata database: a PostgreSQL cluster this server initdb's and runs under
 * {@code <dir>/data}, listening on 127.0.0.1 (free port chosen at each start) and on a unix socket in
 * {@code <dir>/run}. Password auth (scram) with a generated superuser password kept in
 * {@code <dir>/superuser-password} (0600). A cluster left running by a killed server is detected
 * through its postmaster.pid and restarted cleanly.
 */
public final class PgCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PgCluster.class);
    public static final String SUPERUSER = "arbor";
    public static final String DATABASE = "arbor";

    private final Path dir;
    private final Path dataDir;
    private final Path runDir;
    private final Path logFile;
    private final PgBinaries bin;
    private int port = -1;
    private String password;
    private boolean running;

    public PgCluster(Path dir, PgBinaries bin) {
        this.dir = dir.toAbsolutePath();
        this.dataDir = this.dir.resolve("data");
        this.runDir = this.dir.resolve("run");
        this.logFile = this.dir.resolve("postgres.log");
        this.bin = bin;
    }

    public int port() { return port; }
    public String password() { return password; }
    public Path dataDir() { return dataDir; }
    public Path socketDir() { return runDir; }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** initdb on first use, then start (restarting a stale postmaster if one survived a kill -9). */
    public synchronized PgCluster start() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        OsUser.chownToPostgres(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        OsUser.checkTraversable(dataDir);
        Path pwFile = dir.resolve("superuser-password");
        if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
            initdb(pwFile);
        }
        password = Files.readString(pwFile).trim();
        stopStale();
        Files.createDirectories(runDir);
        OsUser.chownToPostgres(runDir);
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            port = freePort();
            writeConf();
            try {
                run(List.of(bin.path("pg_ctl").toString(), "-D", dataDir.toString(), "-l", logFile.toString(),
                        "-w", "-t", "120", "start"), 150);
                running = true;
                log.info("metadata PostgreSQL running in {} on 127.0.0.1:{}", dataDir, port);
                ensureDatabase();
                return this;
            } catch (IOException e) {
                last = e; // most likely the port was taken between probing and binding
                log.warn("metadata PostgreSQL failed to start on port {} (attempt {}): {}", port, attempt + 1, e.getMessage());
            }
        }
        throw new IOException("could not start metadata PostgreSQL; see " + logFile, last);
    }

    private void initdb(Path pwFile) throws IOException, InterruptedException {
        if (Files.exists(dataDir)) {
            // a half-finished initdb from a crash: start over
            deleteTree(dataDir);
        }
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String pw = HexFormat.of().formatHex(raw);
        Path tmp = dir.resolve("superuser-password.tmp");
        Files.writeString(tmp, pw + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        OsUser.chownToPostgres(tmp); // initdb (as postgres) reads it
        Path initDir = dir.resolve("data.init");
        if (Files.exists(initDir)) deleteTree(initDir);
        Files.createDirectories(initDir);
        OsUser.chownToPostgres(initDir);
        Files.setPosixFilePermissions(initDir, PosixFilePermissions.fromString("rwx------"));
        log.info("initialising metadata PostgreSQL cluster in {}", dataDir);
        run(List.of(bin.path("initdb").toString(), "-D", initDir.toString(), "-U", SUPERUSER,
                "--pwfile=" + tmp, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions"), 300);
        Files.writeString(initDir.resolve("postgresql.conf"), "\ninclude_if_exists = 'arbor.conf'\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        Files.move(tmp, pwFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (OsUser.isRoot()) {
            Files.setOwner(pwFile, pwFile.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
        }
        // the data dir appears only once initdb completed, so PG_VERSION under data/ means a whole cluster
        Files.move(initDir, dataDir, StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeConf() throws IOException {
        String socketDirs = runDir.toString().length() > 90 ? "" : runDir.toString();
        String conf = """
                # written by Arbor at every start
                listen_addresses = '127.0.0.1'
                port = %d
                unix_socket_directories = '%s'
                max_connections = 60
                shared_buffers = 32MB
                fsync = on
                logging_collector = off
                log_min_messages = warning
                """.formatted(port, socketDirs.replace("'", "''"));
        Path conf1 = dataDir.resolve("arbor.conf.tmp");
        Files.writeString(conf1, conf, StandardCharsets.UTF_8);
        OsUser.chownToPostgres(conf1);
        Files.move(conf1, dataDir.resolve("arbor.conf"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A postmaster left behind by a killed server still holds the data dir: stop it, then start ours. */
    private void stopStale() throws IOException, InterruptedException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        Optional<Long> pid = readPid(pidFile);
        if (pid.isEmpty()) return;
        Optional<ProcessHandle> ph = ProcessHandle.of(pid.get());
        boolean alive = ph.isPresent() && ph.get().isAlive()
                && ph.get().info().command().map(c -> c.contains("postgres")).orElse(true);
        if (!alive) return; // postgres removes a stale lock file itself
        log.warn("found a running metadata PostgreSQL (pid {}) from an earlier run; restarting it", pid.get());
        run(List.of(bin.path("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop"), 90);
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.getFirst().trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void ensureDatabase() throws IOException {
        try (var c = java.sql.DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, password);
             var st = c.createStatement()) {
            var rs = st.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'");
            if (!rs.next()) st.execute("create database " + DATABASE);
        } catch (java.sql.SQLException e) {
            throw new IOException("cannot create metadata database: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (!running) return;
        running = false;
        try {
            run(List.of(bin.path("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop"), 90);
            log.info("metadata PostgreSQL stopped");
        } catch (IOException | InterruptedException e) {
            log.warn("stopping metadata PostgreSQL failed: {}", e.getMessage());
        }
    }

    private void run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = OsUser.asPostgres(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile()).start();
        // drain output on a virtual thread so a chatty initdb never blocks on a full pipe
        var out = new StringBuilder();
        Thread drain = Thread.ofVirtual().start(() -> {
            try { out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)); }
            catch (IOException ignored) { }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command.getFirst() + " timed out after " + timeoutSeconds + "s");
        }
        drain.join(5000);
        if (p.exitValue() != 0) {
            throw new IOException(Path.of(command.getFirst()).getFileName() + " failed (exit " + p.exitValue() + "): "
                    + out.toString().strip() + tailLog());
        }
    }

    private String tailLog() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return "\n--- " + logFile + " ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var walk = Files.walk(root)) {
            List<Path> all = new ArrayList<>(walk.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) Files.deleteIfExists(p);
        }
    }
}
