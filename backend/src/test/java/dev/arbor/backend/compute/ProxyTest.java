package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import dev.arbor.storage.Lsn;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proxy with real psql and pgjdbc over TLS: routing, waking, bad input, idle suspension. */
class ProxyTest {
    static ComputeHarness h;
    static String ep;

    @BeforeAll
    static void up() throws Exception {
        h = new ComputeHarness(Duration.ofMinutes(5));
        var root = h.newRoot();
        ep = "ep-proxy-main";
        h.compute.applyConfig(h.endpoint(ep, root, "read_write", -1));
    }

    @AfterAll
    static void down() throws Exception {
        if (h != null) h.close();
    }

    @Test
    void psqlConnectsWithThePlainConnectionUriOverTls() throws Exception {
        Procs.Result r = ComputeHarness.psql(h.uri(ep), "SELECT current_user || ' ' || current_database() || ' ' || "
                + "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())::text");
        assertThat(r.output()).contains("app_owner appdb");
        assertThat(r.exit()).isZero();
        // the proxy, not postgres, terminates TLS: check it from the client side
        Procs.Result ssl = ComputeHarness.psql(h.uri(ep), "\\conninfo");
        assertThat(ssl.output()).contains("SSL connection");
    }

    @Test
    void sniRoutesWithoutTheOptionsParameter() throws Exception {
        String uri = "postgresql://" + ComputeHarness.ROLE + ":" + ComputeHarness.PASSWORD + "@" + ep
                + ".localhost:" + h.proxyPort + "/" + ComputeHarness.DB + "?sslmode=require&hostaddr=127.0.0.1";
        Procs.Result r = ComputeHarness.psql(uri, "SELECT 40 + 2");
        assertThat(r.output().trim()).isEqualTo("42");
    }

    @Test
    void pgjdbcConnectsThroughTheProxy() throws Exception {
        try (Connection c = h.jdbc(ep); var st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS jdbc_t(x int)");
            st.execute("INSERT INTO jdbc_t VALUES (7)");
            var rs = st.executeQuery("SELECT sum(x) FROM jdbc_t");
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(7);
        }
    }

    @Test
    void cancelRequestsReachTheEndpointThroughTheProxy() throws Exception {
        try (Connection c = h.jdbc(ep); var st = c.createStatement()) {
            var canceller = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(1000);
                    st.cancel(); // pgjdbc sends a CancelRequest to the proxy's address with the backend's key
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> st.execute("SELECT pg_sleep(60)"))
                    .isInstanceOf(PSQLException.class).hasMessageContaining("canceling statement due to user request");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
            canceller.join();
        }
    }

    @Test
    void unknownEndpointGetsAPostgresProtocolError() throws Exception {
        Procs.Result r = ComputeHarness.psql(h.uri("ep-does-not-exist"), "SELECT 1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("FATAL").contains("endpoint \"ep-does-not-exist\" does not exist");
        assertThatThrownBy(() -> h.jdbc("ep-does-not-exist").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("does not exist");
        // no endpoint at all
        Procs.Result none = ComputeHarness.psql("postgresql://a:b@localhost:" + h.proxyPort + "/db?sslmode=require", "SELECT 1");
        assertThat(none.output()).contains("endpoint is not specified");
    }

    @Test
    void wrongPasswordGetsPostgresOwnAuthError() throws Exception {
        String uri = h.uri(ep).replace(ComputeHarness.PASSWORD, "wrong-password");
        Procs.Result r = ComputeHarness.psql(uri, "SELECT 1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("password authentication failed for user \"app_owner\"");
        assertThatThrownBy(() -> h.jdbc(ep, ComputeHarness.ROLE, "nope").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("password authentication failed");
    }

    @Test
    void suspendedEndpointWakesOnConnectAndIdleEndpointSuspends() throws Exception {
        var root = h.newRoot();
        String id = "ep-proxy-wake";
        h.compute.applyConfig(h.endpoint(id, root, "read_write", 1));
        assertThat(ComputeHarness.psql(h.uri(id), "CREATE TABLE w(x int); INSERT INTO w VALUES (1),(2),(3)").exit()).isZero();

        // idle for its 1 s timeout: stopped and unmounted, and the registry hears of it
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!h.idleReports.contains(id) && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(h.compute.status(id)).isInstanceOf(EndpointStatus.Suspended.class);
        assertThat(h.idleReports).contains(id);

        // a client connecting wakes it; the data is intact
        Procs.Result r = ComputeHarness.psql(h.uri(id), "SELECT sum(x) FROM w");
        assertThat(r.output().trim()).isEqualTo("6");

        // an open connection keeps it awake past the timeout
        try (Connection c = h.jdbc(id); var st = c.createStatement()) {
            Thread.sleep(2500);
            assertThat(h.compute.status(id)).isInstanceOf(EndpointStatus.Running.class);
            var rs = st.executeQuery("SELECT count(*) FROM w");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(3);
        }
    }

    /** What neonctl connection-string prints: the endpoint's host (with the proxy port), SNI routes, SCRAM-PLUS. */
    private static String neonStyleUri(String host, String password, String extra) {
        return "postgresql://" + ComputeHarness.ROLE + ":" + password + "@" + host + ":" + h.proxyPort + "/" + ComputeHarness.DB
                + "?sslmode=require&channel_binding=require" + extra;
    }

    private static Connection jdbcFrom(String libpqUri) throws SQLException {
        ConnectionUris.Jdbc j = ConnectionUris.jdbc(libpqUri);
        j.properties().setProperty("connectTimeout", "60");
        j.properties().setProperty("sslResponseTimeout", "60000");
        return DriverManager.getConnection(j.url(), j.properties());
    }

    @Test
    void channelBindingRequireConnectsByHostNameWithPsqlAndPgjdbc() throws Exception {
        String uri = neonStyleUri(ep + ".localhost", ComputeHarness.PASSWORD, "");
        Procs.Result r = ComputeHarness.psql(uri, "SELECT current_user");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().trim()).isEqualTo(ComputeHarness.ROLE);
        // the pooler host reaches the same endpoint
        assertThat(ComputeHarness.psql(neonStyleUri(ep + "-pooler.localhost", ComputeHarness.PASSWORD, ""), "SELECT 1").exit()).isZero();
        try (Connection c = jdbcFrom(uri); var st = c.createStatement(); var rs = st.executeQuery("SELECT current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(ComputeHarness.DB);
        }
    }

    @Test
    void wrongPasswordOrUnknownRoleIs28P01EvenWithChannelBinding() throws Exception {
        Procs.Result r = ComputeHarness.psql(neonStyleUri(ep + ".localhost", "wrong", ""), "SELECT 1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("password authentication failed for user \"app_owner\"");
        assertThatThrownBy(() -> jdbcFrom(neonStyleUri(ep + ".localhost", "wrong", "")).close())
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
        String nobody = neonStyleUri(ep + ".localhost", ComputeHarness.PASSWORD, "").replace(ComputeHarness.ROLE + ":", "nobody:");
        assertThatThrownBy(() -> jdbcFrom(nobody).close())
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
        // an unknown endpoint by host name: a postgres error, not a dropped socket
        Procs.Result none = ComputeHarness.psql(neonStyleUri("ep-nowhere-1.localhost", ComputeHarness.PASSWORD, ""), "SELECT 1");
        assertThat(none.output()).contains("FATAL").contains("endpoint \"ep-nowhere-1\" does not exist");
    }

    @Test
    void branchHostWithNeonTimestampOrLsnReadsThePastReadOnly() throws Exception {
        var root = h.newRoot();
        String id = "ep-proxy-tt";
        var spec = h.endpoint(id, root, "read_write", -1);
        h.compute.applyConfig(spec);
        assertThat(ComputeHarness.psql(h.uri(id), "CREATE TABLE tt(x int); INSERT INTO tt VALUES (1), (2)").exit()).isZero();
        h.compute.flushWal(root);  // the store's head holds the commit (as when the API creates a branch at the head)
        Lsn lsn = h.store.store.info(root).headLsn();
        Thread.sleep(50);  // separate the two commits on the store's millisecond clock
        Instant between = Instant.now();
        Thread.sleep(50);
        assertThat(ComputeHarness.psql(h.uri(id), "INSERT INTO tt VALUES (3), (4), (5)").exit()).isZero();

        String branchHost = spec.branchId() + ".localhost";
        String atTime = neonStyleUri(branchHost, ComputeHarness.PASSWORD, "&options=neon_timestamp%3A" + between);
        String atLsn = neonStyleUri(branchHost, ComputeHarness.PASSWORD, "&options=neon_lsn%3A" + lsn);
        for (String uri : new String[] {atTime, atLsn}) {
            Procs.Result r = ComputeHarness.psql(uri, "SELECT count(*) FROM tt");
            assertThat(r.output().trim()).as(uri).isEqualTo("2");
            Procs.Result w = ComputeHarness.psql(uri, "INSERT INTO tt VALUES (9)");
            assertThat(w.exit()).isNotZero();
            assertThat(w.output()).contains("cannot execute INSERT in a read-only transaction");
        }
        try (Connection c = jdbcFrom(atTime); var st = c.createStatement()) {
            var rs = st.executeQuery("SELECT count(*) FROM tt");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
            assertThatThrownBy(() -> st.execute("INSERT INTO tt VALUES (9)"))
                    .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));
        }
        // the branch host without a point is the branch's endpoint, at its head
        assertThat(ComputeHarness.psql(neonStyleUri(branchHost, ComputeHarness.PASSWORD, ""), "SELECT count(*) FROM tt")
                .output().trim()).isEqualTo("5");
        // a point before the history window: a postgres error naming the problem
        Procs.Result old = ComputeHarness.psql(neonStyleUri(branchHost, ComputeHarness.PASSWORD,
                "&options=neon_timestamp%3A2001-01-01T00%3A00%3A00Z"), "SELECT 1");
        assertThat(old.exit()).isNotZero();
        assertThat(old.output()).contains("FATAL").contains("2001-01-01");
    }
}
