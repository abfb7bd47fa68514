package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An import cut off by a server stop resumes at the next start: the source holds pg_dump on a lock (a
 * partitioned table's parent, which the API's probe does not touch) until the server is stopped mid-dump;
 * after the restart the import_data operation runs again from the start and finishes, and no dump is left
 * behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwinImportResumeTest {
    private TestServer s;
    private TwinSource source;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c, LocalCompute.factory());
        source = TwinSource.start(50, 200);
        source.exec("create table events (at date not null, what text) partition by range (at);"
                + " create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');"
                + " insert into events values ('2026-11-25', 'launch')");
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (source != null) source.close();
    }

    @Test
    void importInterruptedByAStopResumesAfterTheRestart() throws Exception {
        JsonObject created = s.createProject("resume");
        String projectId = created.getJsonObject("project").getString("id");
        String opId;
        try (Connection lock = source.connect()) {
            lock.setAutoCommit(false);
            try (var st = lock.createStatement()) { st.execute("lock table only events in access exclusive mode"); }
            Res r = s.post("/projects/" + projectId + "/import", new JsonObject().put("source_url", source.url()));
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            opId = r.json().getJsonArray("operations").getJsonObject(0).getString("id");
            // pg_dump waits for the lock: the operation sits in its dumping phase
            JsonObject op = awaitPhase(projectId, opId, "dumping");
            assertThat(op.getString("status")).isEqualTo("running");
            s.stop();
            lock.commit();
        }
        Path imports = s.dir.resolve("data").resolve("imports").resolve(opId);
        s.boot(c -> c, LocalCompute.factory());
        JsonObject done = awaitEnd(projectId, opId);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("finished");
        assertThat(done.getJsonObject("progress").getString("phase")).isEqualTo("done");
        // the proxy listens on a new port after the restart
        String mainUri = ok(s.get("/projects/" + projectId + "/connection_uri?database_name=neondb&role_name=neondb_owner")).json().getString("uri");
        assertThat(BranchWorkflowsTest.psql(mainUri, "select count(*) from customers")).isEqualTo("50");
        assertThat(BranchWorkflowsTest.psql(mainUri, "select what from events")).isEqualTo("launch");
        assertThat(Files.exists(imports)).as("dump dir " + imports + " removed").isFalse();
    }

    private JsonObject awaitPhase(String projectId, String opId, String phase) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            JsonObject op = ok(s.get("/projects/" + projectId + "/operations/" + opId)).obj("operation");
            JsonObject p = op.getJsonObject("progress");
            if (p != null && p.getString("phase").equals(phase)) return op;
            if (!op.getString("status").equals("running") && !op.getString("status").equals("scheduling") || System.nanoTime() > deadline) {
                throw new AssertionError("expected phase " + phase + ": " + op.encode());
            }
            TestServer.sleep(50);
        }
    }

    private JsonObject awaitEnd(String projectId, String opId) {
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (true) {
            JsonObject op = ok(s.get("/projects/" + projectId + "/operations/" + opId)).obj("operation");
            if (!op.getString("status").equals("running") && !op.getString("status").equals("scheduling")) return op;
            if (System.nanoTime() > deadline) throw new AssertionError("import did not end: " + op.encode());
            TestServer.sleep(100);
        }
    }
}
