package dev.arbor.backend;

import dev.arbor.backend.logging.LogConfig;
import dev.arbor.backend.logging.LogOutput;
import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** /metrics, /healthz, /readyz, request ids and JSON logs on a real server (metadata cluster, page store, HTTP). */
class ObservabilityTest {
    static TestServer s;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception { s = TestServer.start(); }

    @AfterAll
    static void stop() throws Exception { if (s != null) s.close(); }

    static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzAndReadyzAnswerWithoutAnApiKey() throws Exception {
        var health = get(s.server.apiPort(), "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        var ready = get(s.server.apiPort(), "/readyz");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        JsonObject j = new JsonObject(ready.body());
        assertThat(j.getString("status")).isEqualTo("ready");
        assertThat(j.getJsonObject("checks").fieldNames()).containsExactlyInAnyOrder("metadata_db", "page_store", "proxy");
        assertThat(j.getJsonObject("checks").getJsonObject("proxy").getString("detail")).isEqualTo("compute disabled");
    }

    @Test
    void requestIdsAreHonouredOrGeneratedAndMatchErrorBodies() throws Exception {
        var mine = get(s.server.apiPort(), "/api/v2/projects/nope", "Authorization", "Bearer " + s.adminKey, "X-Request-Id", "trace-abc.123");
        assertThat(mine.statusCode()).isEqualTo(404);
        assertThat(mine.headers().firstValue("x-request-id")).contains("trace-abc.123");
        assertThat(new JsonObject(mine.body()).getString("request_id")).isEqualTo("trace-abc.123");

        var generated = get(s.server.apiPort(), "/api/v2/projects", "Authorization", "Bearer wrong-key");
        assertThat(generated.statusCode()).isEqualTo(401);
        String id = generated.headers().firstValue("x-request-id").orElseThrow();
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(new JsonObject(generated.body()).getString("request_id")).isEqualTo(id);

        // an id that could inject into headers or logs is replaced
        var hostile = get(s.server.apiPort(), "/api/v2/no-such-route", "X-Request-Id", "a b\"c");
        assertThat(hostile.headers().firstValue("x-request-id").orElseThrow()).matches("[0-9a-f-]{36}");
        assertThat(new JsonObject(hostile.body()).getString("request_id")).isEqualTo(hostile.headers().firstValue("x-request-id").get());

        // the Terraform state backend (its own routes and worker threads) uses the same ids
        var state = get(s.server.apiPort(), "/api/v2/projects/nope/terraform/state/default", "Authorization", "Bearer " + s.adminKey,
                "X-Request-Id", "tf-trace-7");
        assertThat(state.statusCode()).as(state.body()).isEqualTo(404);
        assertThat(state.headers().firstValue("x-request-id")).contains("tf-trace-7");
        assertThat(new JsonObject(state.body()).getString("request_id")).isEqualTo("tf-trace-7");

        // unrouted paths outside /api/v2 get an id too
        assertThat(get(s.server.apiPort(), "/healthz").headers().firstValue("x-request-id")).isPresent();
    }

    @Test
    void branchCreationMovesApiAndOperationCountersAndStoreGauges() throws Exception {
        String pid = s.createProject("metrics").getJsonObject("project").getString("id");
        String route = "/api/v2/projects/:project_id/branches";
        MetricsScrape before = MetricsScrape.of(s.server.apiPort());
        double timelinesBefore = before.value("arbor_store_timelines");

        var ops = s.createBranch(pid, new JsonObject().put("name", "measured")).getJsonArray("operations");
        assertThat(ops).isNotEmpty();
        String action = ops.getJsonObject(0).getString("action");
        MetricsScrape after = MetricsScrape.of(s.server.apiPort());
        var added = new java.util.TreeSet<>(timelines(after));
        added.removeAll(timelines(before));
        assertThat(added).as("the new branch's timeline has its bytes series").hasSize(1);
        String timeline = added.first();

        assertThat(after.value("arbor_http_request_duration_seconds_count", "method", "POST", "route", route, "status", "201"))
                .isEqualTo(before.value("arbor_http_request_duration_seconds_count", "method", "POST", "route", route, "status", "201") + 1);
        assertThat(after.value("arbor_http_request_duration_seconds_bucket", "method", "POST", "route", route, "status", "201", "le", "+Inf"))
                .isEqualTo(after.value("arbor_http_request_duration_seconds_count", "method", "POST", "route", route, "status", "201"));
        assertThat(after.value("arbor_operations_settled_total", "action", action, "status", "finished")).as(after.text())
                .isGreaterThan(before.value("arbor_operations_settled_total", "action", action, "status", "finished"));
        assertThat(after.value("arbor_operation_duration_seconds_count", "action", action))
                .isGreaterThan(before.value("arbor_operation_duration_seconds_count", "action", action));
        assertThat(after.value("arbor_store_timelines")).isEqualTo(timelinesBefore + 1);
        assertThat(after.has("arbor_store_timeline_written_bytes_total", "timeline", timeline)).as(after.text()).isTrue();
        assertThat(after.value("arbor_metadata_up")).isEqualTo(1);
        assertThat(after.has("arbor_endpoints", "state", "active")).isTrue();
        assertThat(after.has("arbor_endpoints", "state", "suspended")).isTrue();
        assertThat(after.value("arbor_store_gc_runs_total")).isGreaterThanOrEqualTo(0);
        // route templates, not raw paths: no project id in any label
        assertThat(after.text()).doesNotContain(pid);
        // GC and compaction counters move when the store runs them
        s.server.store().gc();
        s.server.store().compact(new dev.arbor.storage.TimelineId(timeline));
        MetricsScrape maintained = MetricsScrape.of(s.server.apiPort());
        assertThat(maintained.value("arbor_store_gc_runs_total")).isGreaterThanOrEqualTo(after.value("arbor_store_gc_runs_total") + 1);
        assertThat(maintained.value("arbor_store_compaction_runs_total")).isGreaterThanOrEqualTo(after.value("arbor_store_compaction_runs_total") + 1);
    }

    /** Timelines the store reports, from their per-timeline series. */
    private static java.util.Set<String> timelines(MetricsScrape m) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        String prefix = "arbor_store_timeline_physical_bytes{timeline=\"";
        for (String k : m.series().keySet()) if (k.startsWith(prefix)) out.add(k.substring(prefix.length(), k.length() - 2));
        return out;
    }

    @Test
    void passwordsAndApiKeysNeverReachTheLogs() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        String password;
        String rolePath;
        LogConfig.setLevels("debug");  // the most verbose level an operator would turn on
        try (AutoCloseable tap = LogOutput.tap(lines::add)) {
            JsonObject p = s.createProject("secrets");
            String pid = p.getJsonObject("project").getString("id");
            String branch = p.getJsonObject("branch").getString("id");
            String ownerPassword = p.getJsonArray("roles").getJsonObject(0).getString("password");
            rolePath = "/projects/" + pid + "/branches/" + branch + "/roles";
            var created = ok(s.post(rolePath, new JsonObject().put("role", new JsonObject().put("name", "app_user")))).json();
            String createdPassword = created.getJsonObject("role").getString("password");
            password = ok(s.get(rolePath + "/app_user/reveal_password")).json().getString("password");
            assertThat(password).isEqualTo(createdPassword).isNotBlank();
            String reset = ok(s.post(rolePath + "/app_user/reset_password", null)).json().getJsonObject("role").getString("password");
            // a wrong key, a right key in a failing call: both pass through authentication
            s.call("GET", "/projects", null, "arbor_wrong_" + s.adminKey);
            s.call("GET", rolePath + "/nobody/reveal_password", null, s.adminKey);
            awaitQuiet();
            String all = String.join("\n", lines);
            for (String secret : List.of(s.adminKey, password, reset, ownerPassword)) {
                assertThat(all).as("a secret in the logs").doesNotContain(secret);
            }
        } finally {
            LogConfig.setLevels("info");
        }
        // the capture saw this traffic (not vacuous): access lines with request ids, parseable JSON
        List<JsonObject> access = lines.stream().map(JsonObject::new)
                .filter(j -> "dev.arbor.backend.access".equals(j.getString("logger"))).toList();
        assertThat(access).anySatisfy(j -> {
            assertThat(j.getString("route")).isEqualTo("/api/v2/projects/:project_id/branches/:branch_id/roles/:role_name/reveal_password");
            assertThat(j.getInteger("status")).isEqualTo(200);
            assertThat(j.getString("request_id")).isNotBlank();
        });
        assertThat(access).anySatisfy(j -> assertThat(j.getInteger("status")).isEqualTo(401));
    }

    /** Operations of the calls above settle (and log) before the capture ends. */
    private static void awaitQuiet() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (MetricsScrape.of(s.server.apiPort()).series().entrySet().stream()
                        .noneMatch(e -> e.getKey().startsWith("arbor_operations_unfinished") && e.getValue() > 0)) return;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            TestServer.sleep(50);
        }
        throw new AssertionError("operations still unfinished after 60 s");
    }

    @Test
    void readyzIs503WhenTheMetadataDatabaseIsDownAndMetricsCanLiveOnTheirOwnPort() throws Exception {
        try (PgCluster external = new PgCluster(s.dir.resolve("external-pg"), PgBinaries.locate())) {
            external.start();
            String url = "postgresql://" + PgCluster.SUPERUSER + ":" + URLEncoder.encode(external.password(), StandardCharsets.UTF_8)
                    + "@127.0.0.1:" + external.port() + "/" + PgCluster.DATABASE;
            var cfg = ServerConfig.defaults(s.dir.resolve("data-ext")).withApiPort(0).withProxyPort(0).withMetadataUrl(url)
                    .withMetricsListener("127.0.0.1", 0);
            try (ArborServer a = ArborServer.start(cfg, ComputeFactory.none())) {
                int metricsPort = a.metricsPort();
                assertThat(metricsPort).isPositive().isNotEqualTo(a.apiPort());
                assertThat(get(a.apiPort(), "/metrics").statusCode()).isEqualTo(404);
                assertThat(MetricsScrape.of(metricsPort).value("arbor_metadata_up")).isEqualTo(1);
                assertThat(get(metricsPort, "/readyz").statusCode()).isEqualTo(200);
                assertThat(get(a.apiPort(), "/readyz").statusCode()).isEqualTo(200);

                external.close();  // the metadata database goes away under the running server

                var ready = get(a.apiPort(), "/readyz");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                JsonObject j = new JsonObject(ready.body());
                assertThat(j.getString("status")).isEqualTo("unavailable");
                assertThat(j.getJsonArray("reasons").encode()).contains("metadata_db");
                assertThat(j.getJsonObject("checks").getJsonObject("page_store").getBoolean("ok")).isTrue();
                assertThat(get(a.apiPort(), "/healthz").statusCode()).as("alive, just not ready").isEqualTo(200);
                MetricsScrape down = MetricsScrape.of(metricsPort);
                assertThat(down.value("arbor_metadata_up")).isEqualTo(0);
                assertThat(down.has("arbor_store_timelines")).isTrue();
            }
        }
    }
}
