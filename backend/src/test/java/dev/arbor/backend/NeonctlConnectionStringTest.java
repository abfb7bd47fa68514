package dev.arbor.backend;

import dev.arbor.backend.compute.ConnectionUris;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.util.PSQLException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The URIs the real {@code neonctl connection-string} builds client-side from an endpoint's host
 * ({@code postgresql://role:pw@<host>/db?sslmode=require&channel_binding=require}; {@code --pooled}; and
 * {@code branch@timestamp|lsn}, which swaps in the branch id and adds {@code options=neon_timestamp:..}/
 * {@code neon_lsn:..}) connect with plain psql and pgjdbc through the proxy on real compute, and stay the same
 * across suspend/resume and a reset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NeonctlConnectionStringTest {
    private TestServer s;
    private NeonCli cli;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c, LocalCompute.factory());
        cli = new NeonCli(s);
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (cli != null) cli.close();
    }

    private String uri(String pid, String... branchAndFlags) throws Exception {
        String[] args = new String[branchAndFlags.length + 3];
        args[0] = "connection-string";
        System.arraycopy(branchAndFlags, 0, args, 1, branchAndFlags.length);
        args[args.length - 2] = "--project-id";
        args[args.length - 1] = pid;
        return cli.ok(args).out();
    }

    private static String psql(String uri, String sql) throws IOException, InterruptedException {
        var pb = new ProcessBuilder("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", uri, "-c", sql).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("psql timed out");
        }
        return (p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": ") + out;
    }

    private static Connection jdbc(String uri) throws SQLException {
        ConnectionUris.Jdbc j = ConnectionUris.jdbc(uri);
        j.properties().setProperty("connectTimeout", "120");
        j.properties().setProperty("sslResponseTimeout", "120000"); // pgjdbc's 5 s default is short on a loaded machine
        return DriverManager.getConnection(j.url(), j.properties());
    }

    private static long count(String uri) throws SQLException {
        try (Connection c = jdbc(uri); var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void awaitAll(String pid) {
        s.awaitOperations(pid, TestServer.ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations"));
    }

    @Test
    void connectionStringsConnectPlainPooledAndInThePast() throws Exception {
        JsonObject project = s.createProject("cs");
        String pid = project.getJsonObject("project").getString("id");
        String mainId = project.getJsonObject("branch").getString("id");
        String epId = project.getJsonArray("endpoints").getJsonObject(0).getString("id");

        String plain = uri(pid, "main");
        assertThat(plain).contains("@" + epId + ".localhost:" + s.server.proxyPort() + "/neondb?")
                .contains("sslmode=require").contains("channel_binding=require");
        assertThat(psql(plain, "CREATE TABLE t(x int); INSERT INTO t VALUES (1), (2)")).doesNotStartWith("exit");

        // a branch at head records the store LSN of that moment as its parent_lsn
        JsonObject snap = TestServer.ok(s.post("/projects/" + pid + "/branches", new JsonObject()
                .put("branch", new JsonObject().put("name", "snap").put("parent_id", mainId))
                .put("endpoints", new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "read_write"))))).json();
        awaitAll(pid);
        String snapId = snap.getJsonObject("branch").getString("id");
        String lsn = TestServer.ok(s.get("/projects/" + pid + "/branches/" + snapId)).obj("branch").getString("parent_lsn");
        assertThat(lsn).matches("[0-9A-F]+/[0-9A-F]+");
        Thread.sleep(50);  // separate the two commits on the store's millisecond clock
        Instant between = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Thread.sleep(50);
        assertThat(psql(plain, "INSERT INTO t VALUES (3), (4), (5)")).doesNotStartWith("exit");

        // plain and pooled: the endpoint at head
        String pooled = uri(pid, "main", "--pooled");
        assertThat(pooled).contains("@" + epId + "-pooler.localhost:");
        assertThat(psql(plain, "SELECT count(*) FROM t")).isEqualTo("5");
        assertThat(psql(pooled, "SELECT count(*) FROM t")).isEqualTo("5");
        assertThat(count(plain)).isEqualTo(5);
        assertThat(count(pooled)).isEqualTo(5);

        // time travel: read-only, in the past
        String atTime = uri(pid, "main@" + between);
        String atLsn = uri(pid, "main@" + lsn);
        assertThat(atTime).contains("@" + mainId + ".localhost:").contains("options=neon_timestamp");
        assertThat(atLsn).contains("@" + mainId + ".localhost:").contains("options=neon_lsn");
        for (String past : new String[] {atTime, atLsn}) {
            assertThat(psql(past, "SELECT count(*) FROM t")).as(past).isEqualTo("2");
            assertThat(psql(past, "INSERT INTO t VALUES (9)")).startsWith("exit").contains("read-only transaction");
            assertThat(count(past)).isEqualTo(2);
        }
        try (Connection c = jdbc(atTime); var st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("INSERT INTO t VALUES (9)"))
                    .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));
        }

        // a wrong password: postgres' own auth error
        String wrong = plain.replaceFirst(":[^:@/]+@", ":wrong-pw@");
        assertThat(psql(wrong, "SELECT 1")).startsWith("exit").contains("password authentication failed for user \"neondb_owner\"");
        assertThatThrownBy(() -> jdbc(wrong).close())
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));

        // suspend: the same URI, and connecting wakes the endpoint with the data intact
        TestServer.ok(s.post("/projects/" + pid + "/endpoints/" + epId + "/suspend", null));
        awaitAll(pid);
        assertThat(uri(pid, "main")).isEqualTo(plain);
        assertThat(psql(plain, "SELECT count(*) FROM t")).isEqualTo("5");

        // reset of a child to its parent: the same URI, now serving the parent's head
        String snapUri = uri(pid, "snap");
        assertThat(psql(snapUri, "SELECT count(*) FROM t")).isEqualTo("2");
        cli.ok("branches", "reset", "snap", "--parent", "--project-id", pid, "-o", "json");
        awaitAll(pid);
        assertThat(uri(pid, "snap")).isEqualTo(snapUri);
        assertThat(psql(snapUri, "SELECT count(*) FROM t")).isEqualTo("5");
        assertThat(count(snapUri)).isEqualTo(5);
    }
}
