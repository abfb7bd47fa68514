package dev.arbor.backend;

import dev.arbor.backend.logging.LogOutput;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real compute: a suspended endpoint woken by a pgjdbc connection through the proxy moves the wake-up
 * counter and latency histogram; the endpoint's FUSE volume fills the per-operation latency histograms.
 */
class WakeMetricsTest {
    static TestServer s;

    @BeforeAll
    static void start() throws Exception { s = TestServer.start(c -> c, LocalCompute.factory()); }

    @AfterAll
    static void stop() throws Exception { if (s != null) s.close(); }

    /** pgjdbc through the proxy, from the API's connection URI (generous timeouts: a wake-up starts postgres). */
    static Connection jdbc(String uri) throws Exception {
        var j = dev.arbor.backend.compute.ConnectionUris.jdbc(uri);
        Properties p = j.properties();
        p.setProperty("connectTimeout", "120");
        p.setProperty("socketTimeout", "120");
        return DriverManager.getConnection(j.url(), p);
    }

    @Test
    void wakeUpThroughTheProxyMovesWakeCountersAndFuseHistograms() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        JsonObject p;
        try (AutoCloseable tap = LogOutput.tap(lines::add)) {
            p = s.createProject("wake");  // its operations start the endpoint: compute logs the mount and postgres start
        }
        // every line an operation writes carries its id
        assertThat(lines.stream().map(JsonObject::new).filter(j -> j.getString("thread").startsWith("op-")).toList())
                .isNotEmpty().allSatisfy(j -> assertThat(j.getString("operation_id")).as(j.encode()).matches("[0-9a-f-]{36}"));
        String pid = p.getJsonObject("project").getString("id");
        String ep = p.getJsonArray("endpoints").getJsonObject(0).getString("id");
        String uri = p.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");
        try (Connection c = jdbc(uri); var st = c.createStatement()) {
            st.execute("create table t(x int); insert into t select generate_series(1, 1000)");
        }
        int port = s.server.apiPort();
        MetricsScrape running = MetricsScrape.of(port);
        assertThat(running.value("arbor_fuse_op_duration_seconds_count", "op", "write")).as(running.text()).isPositive();
        assertThat(running.value("arbor_fuse_op_duration_seconds_count", "op", "read")).isPositive();
        assertThat(running.value("arbor_fuse_op_duration_seconds_count", "op", "fsync")).isPositive();

        s.awaitOperations(pid, ok(s.post("/projects/" + pid + "/endpoints/" + ep + "/suspend", null)).json().getJsonArray("operations"));
        awaitState(pid, ep, "idle");
        MetricsScrape suspended = MetricsScrape.of(port);
        assertThat(suspended.value("arbor_endpoints", "state", "suspended")).isGreaterThanOrEqualTo(1);
        double wakeups = suspended.value("arbor_endpoint_wakeups_total");
        double waits = suspended.value("arbor_endpoint_wakeup_duration_seconds_count");

        try (Connection c = jdbc(uri); var st = c.createStatement(); var rs = st.executeQuery("select count(*) from t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1000);
        }
        awaitState(pid, ep, "active");
        MetricsScrape woken = MetricsScrape.of(port);
        assertThat(woken.value("arbor_endpoint_wakeups_total")).as(woken.text()).isEqualTo(wakeups + 1);
        assertThat(woken.value("arbor_endpoint_wakeup_duration_seconds_count")).isEqualTo(waits + 1);
        assertThat(woken.value("arbor_endpoint_wakeup_duration_seconds_sum"))
                .as("a wake-up starts postgres: it takes some time").isGreaterThan(suspended.value("arbor_endpoint_wakeup_duration_seconds_sum"));
        assertThat(woken.value("arbor_endpoint_wakeup_failures_total")).isEqualTo(suspended.value("arbor_endpoint_wakeup_failures_total"));
        assertThat(woken.value("arbor_endpoints", "state", "active")).isGreaterThanOrEqualTo(1);
        assertThat(woken.value("arbor_fuse_op_duration_seconds_count", "op", "read"))
                .isGreaterThan(suspended.value("arbor_fuse_op_duration_seconds_count", "op", "read"));
        // the API's URI (TLS to localhost) ends in the proxy's relay; a plaintext client on this machine is handed to the kernel
        assertThat(woken.value("arbor_proxy_connections_total", "data_path", "relay"))
                .isEqualTo(suspended.value("arbor_proxy_connections_total", "data_path", "relay") + 1);
        var plain = dev.arbor.backend.compute.ConnectionUris.jdbc(uri);
        try (Connection c = DriverManager.getConnection(plain.url().replace("sslmode=require", "sslmode=disable"), plain.properties());
             var st = c.createStatement(); var rs = st.executeQuery("select count(*) from t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1000);
        }
        MetricsScrape after = MetricsScrape.of(port);
        assertThat(after.value("arbor_proxy_connections_total", "data_path", "kernel"))
                .as(after.text()).isEqualTo(woken.value("arbor_proxy_connections_total", "data_path", "kernel") + 1);
        assertThat(after.value("arbor_proxy_connections_total", "data_path", "relay"))
                .isEqualTo(woken.value("arbor_proxy_connections_total", "data_path", "relay"));
        // readiness includes the proxy now that compute runs
        var ready = ObservabilityTest.get(port, "/readyz");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("proxy").getString("detail"))
                .isEqualTo("listening on 127.0.0.1:" + s.server.proxyPort());
    }

    private static void awaitState(String pid, String ep, String state) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            String now = ok(s.get("/projects/" + pid + "/endpoints/" + ep)).obj("endpoint").getString("current_state");
            if (now.equals(state)) return;
            if (System.nanoTime() > deadline) throw new AssertionError("endpoint " + ep + " still " + now + ", expected " + state);
            TestServer.sleep(100);
        }
    }
}
