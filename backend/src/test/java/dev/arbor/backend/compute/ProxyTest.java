package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.time.Duration;

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
}
