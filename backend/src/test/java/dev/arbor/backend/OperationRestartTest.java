package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operations survive a restart. The first server's compute never finishes starting an endpoint (it
 * blocks, as a start cut short by a shutdown would), so start_compute is still running when the
 * server stops; meanwhile conflicting calls get 423. The second server runs the real compute
 * (postgres on a FUSE volume behind the proxy): the unfinished operation resumes and finishes, and
 * psql connects with the role password the API returned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationRestartTest {
    private TestServer s;

    /** A start that never completes (until the executor is interrupted at shutdown). */
    static final class StuckCompute implements ComputeControl {
        final CountDownLatch entered = new CountDownLatch(1);
        @Override public boolean available() { return true; }
        @Override public void start(EndpointSpec endpoint) throws InterruptedException {
            entered.countDown();
            new CountDownLatch(1).await();
        }
        @Override public void suspend(EndpointSpec endpoint) { }
        @Override public void applyConfig(EndpointSpec endpoint) { }
        @Override public void delete(EndpointSpec endpoint) { }
    }

    @BeforeAll
    void start() throws Exception { s = TestServer.start(); s.stop(); }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private JsonObject op(String pid, String id) {
        return ok(s.get("/projects/" + pid + "/operations/" + id)).obj("operation");
    }

    @Test
    void unfinishedOperationResumesAfterRestartOnRealCompute() throws Exception {
        StuckCompute stuck = new StuckCompute();
        s.boot(c -> c, (cfg, store, registry, vertx) -> stuck);
        JsonObject p = ok(s.post("/projects", new JsonObject().put("project", new JsonObject().put("name", "restart")))).json();
        String pid = p.getJsonObject("project").getString("id");
        String mainId = p.getJsonObject("branch").getString("id");
        String epId = p.getJsonArray("endpoints").getJsonObject(0).getString("id");
        String password = p.getJsonArray("roles").getJsonObject(0).getString("password");
        JsonArray ops = p.getJsonArray("operations");
        String createOp = ops.getJsonObject(0).getString("id");
        String startOp = ops.getJsonObject(1).getString("id");
        assertThat(stuck.entered.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(op(pid, createOp).getString("status")).isEqualTo("finished");
        assertThat(op(pid, startOp).getString("status")).isEqualTo("running");
        JsonObject ep = ok(s.get("/projects/" + pid + "/endpoints/" + epId)).obj("endpoint");
        assertThat(ep.getString("current_state")).isEqualTo("init");
        assertThat(ep.getString("pending_state")).isEqualTo("active");

        // a running operation locks what it works on: clients get 423 and retry
        Res locked = s.delete("/projects/" + pid + "/endpoints/" + epId);
        assertThat(locked.status()).isEqualTo(423);
        assertThat(locked.json().getString("code")).isEqualTo("LOCKED");
        assertThat(locked.json().getString("message")).contains(startOp).contains("start_compute");
        assertThat(s.post("/projects/" + pid + "/endpoints/" + epId + "/restart", null).status()).isEqualTo(423);
        JsonObject child = s.createBranch(pid, new JsonObject().put("name", "child"));
        String childId = child.getJsonObject("branch").getString("id");
        Res childEp = s.post("/projects/" + pid + "/endpoints", new JsonObject().put("endpoint",
                new JsonObject().put("branch_id", childId).put("type", "read_write")));
        assertThat(childEp.status()).isEqualTo(201);
        Res lockedBranch = s.delete("/projects/" + pid + "/branches/" + childId);
        assertThat(lockedBranch.status()).as(lockedBranch.toString()).isEqualTo(423);
        assertThat(ok(s.get("/projects/" + pid + "/branches/" + childId)).obj("branch").getString("id")).isEqualTo(childId);

        s.stop();  // interrupts the stuck start: the operation stays 'running' in the metadata

        s.boot(c -> c, LocalCompute.factory());
        List<JsonObject> done = s.awaitOperations(pid, new JsonArray().add(new JsonObject().put("id", startOp)));
        assertThat(done.getFirst().getString("status")).as(done.getFirst().encode()).isEqualTo("finished");
        JsonObject active = ok(s.get("/projects/" + pid + "/endpoints/" + epId)).obj("endpoint");
        assertThat(active.getString("current_state")).isEqualTo("active");
        assertThat(active.containsKey("pending_state")).isFalse();
        JsonArray all = ok(s.get("/projects/" + pid + "/operations?limit=100")).json().getJsonArray("operations");
        s.awaitOperations(pid, all);

        String uri = ok(s.get("/projects/" + pid + "/connection_uri?branch_id=" + mainId + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
        assertThat(uri).contains(":" + s.server.proxyPort() + "/").contains(password);
        Process psql = new ProcessBuilder("psql", uri, "-Atc", "select current_user || ' ' || current_database()")
                .redirectErrorStream(true).start();
        String out = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(psql.waitFor()).as(out).isZero();
        assertThat(out).isEqualTo("neondb_owner neondb");

        // with its operations done, the child branch can go (endpoint stopped, then timeline dropped)
        JsonObject deleted = ok(s.delete("/projects/" + pid + "/branches/" + childId)).json();
        s.awaitOperations(pid, deleted.getJsonArray("operations")).forEach(o ->
                assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
    }
}
