package dev.arbor.backend.anon;

import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL 15 cluster shared by the anonymizer tests (started on first use, stopped at JVM exit),
 * in a fresh /tmp dir on a free port, running as the postgres OS user when we are root. Each test makes its
 * own source/target databases.
 */
final class AnonPg {
    private static PgCluster cluster;
    private static Path dir;
    private static final AtomicInteger SEQ = new AtomicInteger();

    private AnonPg() {}

    static synchronized PgCluster cluster() throws IOException, InterruptedException {
        if (cluster == null) {
            dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-anon-test-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            cluster = new PgCluster(dir.resolve("pg"), PgBinaries.locate()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cluster.close();
                try (var walk = Files.walk(dir)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) { }
            }));
        }
        return cluster;
    }

    /** Creates a new empty database with a unique name and returns that name. */
    static String newDatabase(String prefix) throws Exception {
        String name = prefix + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("create database " + name);
        }
        return name;
    }

    static Connection connect(String db) throws SQLException {
        try {
            PgCluster pg = cluster();
            return DriverManager.getConnection(pg.jdbcUrl(db), PgCluster.SUPERUSER, pg.password());
        } catch (IOException | InterruptedException e) {
            throw new SQLException("cannot start test PostgreSQL: " + e.getMessage(), e);
        }
    }

    static AnonymizationJob.Connector connector(String db) {
        return () -> connect(db);
    }

    static void exec(String db, String sql) throws SQLException {
        try (Connection c = connect(db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** pg_dump --schema-only of {@code source} restored into {@code target} with psql (as a user would). */
    static void copySchema(String source, String target) throws Exception {
        Path file = Files.createTempFile("anon-schema-", ".sql");
        try {
            run(List.of(PgBinaries.locate().path("pg_dump").toString(), "--schema-only", "--no-owner", "-f", file.toString(),
                    "-d", source));
            run(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file.toString(), "-d", target));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** A full plain-text pg_dump (schema and data) of {@code db}. */
    static String dump(String db) throws Exception {
        Path file = Files.createTempFile("anon-dump-", ".sql");
        try {
            run(List.of(PgBinaries.locate().path("pg_dump").toString(), "-f", file.toString(), "-d", db));
            return Files.readString(file, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void run(List<String> cmd) throws Exception {
        PgCluster pg = cluster();
        List<String> full = new ArrayList<>(cmd);
        full.addAll(List.of("-h", "127.0.0.1", "-p", String.valueOf(pg.port()), "-U", PgCluster.SUPERUSER));
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().putAll(Map.of("PGPASSWORD", pg.password()));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd.getFirst() + " failed: " + out);
        }
    }
}
