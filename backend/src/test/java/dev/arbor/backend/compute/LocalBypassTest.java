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

/**
 * Plaintext clients on this machine (psql and pgjdbc on 127.0.0.1): postgres authenticates them itself and the
 * kernel carries their bytes (LocalBypass), while the proxy still routes, wakes and counts them. CI runs as root on
 * Linux with cgroup v2, so the bypass must engage there: these tests fail if it does not.
 */
class LocalBypassTest {
    static ComputeHarness h;

    @BeforeAll
    static void up() throws Exception {
        h = new ComputeHarness(Duration.ofMinutes(5));
    }

    @AfterAll
    static void down() throws Exception {
        if (h != null) h.close();
    }

    @Test
    void localPlaintextClientsTalkToPostgresThroughTheKernel() throws Exception {
        String ep = "ep-bypass";
        h.compute.applyConfig(h.endpoint(ep, h.newRoot(), "read_write", -1));
        long before = h.proxy.bypassedConnections();

        Procs.Result r = ComputeHarness.psql(h.plainUri(ep),
                "CREATE TABLE t(i int); INSERT INTO t SELECT generate_series(1, 1000); SELECT sum(i) FROM t");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().trim()).endsWith("500500");
        assertThat(h.proxy.bypassedConnections()).as("psql's connection took the kernel path").isEqualTo(before + 1);
        // over IPv6 loopback too (the proxy listens on [::1] as well)
        Procs.Result v6 = ComputeHarness.psql(h.plainUri(ep).replace("@127.0.0.1:", "@[::1]:"), "SELECT count(*) FROM t");
        assertThat(v6.output().trim()).as(v6.output()).isEqualTo("1000");
        assertThat(h.proxy.bypassedConnections()).as("the IPv6 client took the kernel path").isEqualTo(before + 2);
        before++;

        // many small round trips (extended protocol, prepared statements) and a result bigger than a socket buffer
        try (Connection c = h.plainJdbc(ep, ComputeHarness.PASSWORD); var ps = c.prepareStatement("SELECT i * 2 FROM t WHERE i = ?")) {
            assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 2);
            for (int i = 1; i <= 1000; i++) {
                ps.setInt(1, i);
                try (var rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(2 * i);
                }
            }
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT repeat('x', 10000) FROM generate_series(1, 2000)")) {
                int rows = 0;
                while (rs.next()) {
                    assertThat(rs.getString(1)).hasSize(10000);
                    rows++;
                }
                assertThat(rows).isEqualTo(2000);
            }
            // the proxy still counts the connection: the endpoint shows it open
            assertThat(((EndpointStatus.Running) h.compute.status(ep)).connections()).isEqualTo(1);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (((EndpointStatus.Running) h.compute.status(ep)).connections() > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(((EndpointStatus.Running) h.compute.status(ep)).connections()).as("closing the client closes its count").isZero();
    }

    @Test
    void tlsClientsNamingTheirEndpointBySniGetPostgresOwnTlsSession() throws Exception {
        String ep = "ep-bypass-tls";
        h.compute.applyConfig(h.endpoint(ep, h.newRoot(), "read_write", -1));
        long before = h.proxy.bypassedConnections();
        String sni = "postgresql://" + ComputeHarness.ROLE + ":%s@%s.localhost:" + h.proxyPort + "/" + ComputeHarness.DB
                + "?sslmode=require&channel_binding=require";
        String inSession = "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)";

        // the neonctl form: postgres holds the TLS session itself, channel binding included, and the kernel carries it
        Procs.Result r = ComputeHarness.psql(sni.formatted(ComputeHarness.PASSWORD, ep), inSession);
        assertThat(r.output().trim()).as(r.output()).isEqualTo("t");
        assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 1);
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + ep + ".localhost:" + h.proxyPort + "/"
                + ComputeHarness.DB + "?sslmode=require&channelBinding=require", ComputeHarness.ROLE, ComputeHarness.PASSWORD);
             var st = c.createStatement(); var rs = st.executeQuery(inSession + ", current_user")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 2);

        // routed by the endpoint option instead, TLS ends in the proxy, which logs in over postgres' private socket
        Procs.Result o = ComputeHarness.psql(h.uri(ep), inSession);
        assertThat(o.output().trim()).as(o.output()).isEqualTo("f");
        assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 2);
        // the API's form for a real domain: the endpoint in SNI and in options (which postgres would refuse); a
        // name that resolves to this machine must not hand that session to postgres
        Procs.Result both = ComputeHarness.psql("host=" + ep + ".arbor.test hostaddr=127.0.0.1 port=" + h.proxyPort + " dbname="
                + ComputeHarness.DB + " user=" + ComputeHarness.ROLE + " password=" + ComputeHarness.PASSWORD
                + " sslmode=require options=endpoint=" + ep, inSession);
        assertThat(both.output().trim()).as(both.output()).isEqualTo("f");
        assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 2);

        // postgres checks the password; an unknown endpoint by SNI gets the proxy's error over the proxy's TLS
        Procs.Result wrong = ComputeHarness.psql(sni.formatted("not-the-password", ep), "SELECT 1");
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.output()).contains("password authentication failed for user \"" + ComputeHarness.ROLE + "\"");
        Procs.Result unknown = ComputeHarness.psql(sni.formatted(ComputeHarness.PASSWORD, "ep-no-such-endpoint"), "SELECT 1");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.output()).contains("endpoint \"ep-no-such-endpoint\" does not exist");
    }

    @Test
    void aStoppedPostgresPortIsNoLongerWatched() throws Exception {
        String a = "ep-bypass-port-a", b = "ep-bypass-port-b";
        h.compute.applyConfig(h.endpoint(a, h.newRoot(), "read_write", -1));
        h.compute.applyConfig(h.endpoint(b, h.newRoot(), "read_write", -1));
        assertThat(ComputeHarness.psql(h.plainUri(a), "SELECT 1").exit()).isZero();
        int portA = ((EndpointStatus.Running) h.compute.status(a)).port();
        assertThat(h.proxy.bypassWatches(portA)).isTrue();
        h.compute.suspend(a);
        // the next hand-over drops ports whose postgres is gone: another server may take that port later
        assertThat(ComputeHarness.psql(h.plainUri(b), "SELECT 1").exit()).isZero();
        int portB = ((EndpointStatus.Running) h.compute.status(b)).port();
        assertThat(h.proxy.bypassWatches(portA)).as("endpoint a is suspended").isFalse();
        assertThat(h.proxy.bypassWatches(portB)).isTrue();
        // and a woken endpoint is watched again, on whatever port its postgres has now
        assertThat(ComputeHarness.psql(h.plainUri(a), "SELECT 1").exit()).isZero();
        assertThat(h.proxy.bypassWatches(((EndpointStatus.Running) h.compute.status(a)).port())).isTrue();
        assertThat(h.proxy.bypassWatches(portB)).isTrue();
    }

    @Test
    void aWrongPasswordGetsPostgresOwnErrorAndAnUnknownEndpointTheProxys() throws Exception {
        String ep = "ep-bypass-auth";
        h.compute.applyConfig(h.endpoint(ep, h.newRoot(), "read_write", -1));
        assertThatThrownBy(() -> h.plainJdbc(ep, "not-the-password").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("password authentication failed for user \"" + ComputeHarness.ROLE + "\"");
        Procs.Result r = ComputeHarness.psql(h.plainUri("ep-no-such-endpoint"), "SELECT 1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("endpoint \"ep-no-such-endpoint\" does not exist");
    }

    @Test
    void aSuspendedEndpointWakesForABypassedClientAndAnOpenOneKeepsItAwake() throws Exception {
        String ep = "ep-bypass-wake";
        h.compute.applyConfig(h.endpoint(ep, h.newRoot(), "read_write", 1));
        assertThat(ComputeHarness.psql(h.plainUri(ep), "CREATE TABLE w(x int); INSERT INTO w VALUES (1), (2), (3)").exit()).isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!h.idleReports.contains(ep) && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(h.compute.status(ep)).isInstanceOf(EndpointStatus.Suspended.class);

        long before = h.proxy.bypassedConnections();
        try (Connection c = h.plainJdbc(ep, ComputeHarness.PASSWORD); var st = c.createStatement()) {
            assertThat(h.proxy.bypassedConnections()).isEqualTo(before + 1);
            Thread.sleep(2500);  // past the 1 s timeout: the open connection is counted although the proxy sees no bytes
            assertThat(h.compute.status(ep)).isInstanceOf(EndpointStatus.Running.class);
            try (var rs = st.executeQuery("SELECT sum(x) FROM w")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(6);
            }
        }
    }
}
