package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.TimelineId;
import dev.arbor.storage.TimelineInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An anonymization cut short by a crash leaks nothing (issue 7). The second server's anonymization never
 * returns, not even when interrupted at shutdown, so its cleanup never runs, as if the process had died with
 * the job's private endpoints up and its scratch copy of the source in the page store. The third server
 * (real compute, as in {@link OperationRestartTest}) releases them and the resumed job finishes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnonCrashTest {
    private TestServer s;

    /** Real compute whose anonymization work hangs for good once both private endpoints run. */
    static final class HangingAnonymization implements ComputeControl {
        final ComputeControl real;
        final CountDownLatch entered = new CountDownLatch(1);

        HangingAnonymization(ComputeControl real) { this.real = real; }

        @Override public boolean available() { return true; }
        @Override public void start(EndpointSpec e) throws Exception { real.start(e); }
        @Override public void suspend(EndpointSpec e) throws Exception { real.suspend(e); }
        @Override public void applyConfig(EndpointSpec e) throws Exception { real.applyConfig(e); }
        @Override public void initTimeline(TimelineId t) throws Exception { real.initTimeline(t); }
        @Override public void copySchema(EndpointSpec a, EndpointSpec b) throws Exception { real.copySchema(a, b); }
        @Override public void delete(EndpointSpec e) throws Exception { real.delete(e); }
        @Override public void close() { real.close(); }

        @Override
        public void withSuperuser(EndpointSpec source, EndpointSpec target, JdbcWork work) throws Exception {
            real.withSuperuser(source, target, (a, b) -> {
                entered.countDown();
                CountDownLatch never = new CountDownLatch(1);
                while (true) {
                    try {
                        never.await();
                    } catch (InterruptedException ignored) {
                        // a dead process runs no cleanup: stay here
                    }
                }
            });
        }
    }

    @BeforeAll
    void start() throws Exception { s = TestServer.start(); s.stop(); }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private Set<String> timelines() {
        Set<String> out = new HashSet<>();
        for (TimelineInfo t : s.server.store().timelines()) out.add(t.id().value());
        return out;
    }

    private List<String> anonEndpointDirs() throws Exception {
        Path dir = s.dir.resolve("data").resolve("compute");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> l = Files.list(dir)) {
            return l.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("anon-")).sorted().toList();
        }
    }

    @Test
    void aCrashMidJobLeaksNoScratchTimelineAndNoPrivateEndpoint() throws Exception {
        s.boot(c -> c, LocalCompute.factory());
        JsonObject proj = s.createProject("anon-crash");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String main = ok(s.get("/projects/" + pid + "/connection_uri?branch_id=" + mainId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
        BranchWorkflowsTest.psql(main, """
                CREATE TABLE people (id int PRIMARY KEY, email text NOT NULL);
                INSERT INTO people SELECT i, 'crashPii' || i || '@corp.example' FROM generate_series(1, 200) i;
                """);
        Res r = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject()
                .put("branch_create", new JsonObject().put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))))
                .put("masking_rules", new JsonArray().add(new JsonObject().put("database_name", "neondb").put("schema_name", "public")
                        .put("table_name", "people").put("column_name", "email").put("masking_function", "anon.fake_email()")))
                .put("start_anonymization", false));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String anonId = r.json().getJsonObject("branch").getString("id");
        s.awaitOperations(pid, r.json().getJsonArray("operations"));
        s.stop();

        CountDownLatch[] entered = new CountDownLatch[1];
        s.boot(c -> c, (cfg, store, registry, vertx) -> {
            HangingAnonymization h = new HangingAnonymization(LocalCompute.factory().create(cfg, store, registry, vertx));
            entered[0] = h.entered;
            return h;
        });
        Set<String> before = timelines();
        assertThat(anonEndpointDirs()).isEmpty();
        Res run = s.post("/projects/" + pid + "/branches/" + anonId + "/anonymize", null);
        assertThat(run.status()).as(run.toString()).isEqualTo(200);
        assertThat(entered[0].await(120, TimeUnit.SECONDS)).as("the job reached its private endpoints").isTrue();
        Set<String> leaked = new HashSet<>(timelines());
        leaked.removeAll(before);
        assertThat(leaked).as("the job's scratch copy of the source").hasSize(1);
        assertThat(anonEndpointDirs()).containsExactly("anon-dst-" + anonId, "anon-src-" + anonId);
        s.stop(); // the job is stuck for good: nothing of its cleanup runs

        s.boot(c -> c, LocalCompute.factory());
        List<JsonObject> ops = s.awaitOperations(pid, run.json().getJsonArray("operations"));
        ops.forEach(o -> assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
        JsonObject st = ok(s.get("/projects/" + pid + "/branches/" + anonId + "/anonymized_status")).json();
        assertThat(st.getString("state")).as(st.encode()).isEqualTo("anonymized");
        assertThat(timelines()).as("no scratch timeline is left").isEqualTo(before).doesNotContainAnyElementsOf(leaked);
        assertThat(anonEndpointDirs()).as("no private endpoint directory is left").isEmpty();
        String anon = ok(s.get("/projects/" + pid + "/connection_uri?branch_id=" + anonId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
        assertThat(BranchWorkflowsTest.psql(anon, "SELECT count(*) FROM people WHERE email NOT LIKE 'crashPii%'")).isEqualTo("200");
    }
}
