package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import dev.arbor.storage.TimelineInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 50 parallel clients create branches (and children of them) and delete them again for ~15 s on one
 * project. No 5xx; afterwards metadata and page store agree: only main is left, every operation ended,
 * no timeline leaked. (The 60 s variant with latency figures is scripts/bench-api.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {
    private static final int CLIENTS = 50;
    private static final Duration RUN = Duration.ofSeconds(15);
    private TestServer s;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c.withRateLimit(100_000).withQuotas(100, 500, 20), ComputeFactory.none());
    }

    @AfterAll
    void stop() throws Exception { s.close(); }

    /** Retries while the server says locked (423) or busy (429). */
    private Res retrying(String method, String path, String body, Map<Integer, AtomicInteger> statuses) {
        while (true) {
            Res r = s.call(method, path, body, s.adminKey);
            statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
            if (r.status() != 423 && r.status() != 429) return r;
            TestServer.sleep(10);
        }
    }

    @Test
    void parallelCreateAndDeleteStaysConsistent() throws Exception {
        JsonObject p = s.createProject("busy");
        String pid = p.getJsonObject("project").getString("id");
        String mainId = p.getJsonObject("branch").getString("id");
        String base = "/projects/" + pid + "/branches";
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> created = ConcurrentHashMap.newKeySet();
        AtomicInteger cycles = new AtomicInteger();
        long end = System.nanoTime() + RUN.toNanos();

        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    int i = 0;
                    while (System.nanoTime() < end) {
                        String name = "c" + client + "-" + i++;
                        Res a = retrying("POST", base, new JsonObject().put("branch", new JsonObject().put("name", name))
                                .put("endpoints", new JsonArray()).encode(), statuses);
                        if (a.status() != 201) { synchronized (problems) { problems.add("create " + a); } continue; }
                        String aId = a.obj("branch").getString("id");
                        created.add(aId);
                        Res b = retrying("POST", base, new JsonObject().put("branch", new JsonObject().put("name", name + "-kid")
                                .put("parent_id", aId)).encode(), statuses);
                        String bId = b.status() == 201 ? b.obj("branch").getString("id") : null;
                        if (bId == null) { synchronized (problems) { problems.add("child " + b); } }
                        else {
                            created.add(bId);
                            Res early = s.call("DELETE", base + "/" + aId, null, s.adminKey);
                            statuses.computeIfAbsent(early.status(), k -> new AtomicInteger()).incrementAndGet();
                            if (early.status() != 409 && early.status() != 423) {
                                synchronized (problems) { problems.add("parent delete with child " + early); }
                            }
                            if (client % 5 == 0) ok(s.get(base + "?limit=20"));
                            Res db = retrying("DELETE", base + "/" + bId, null, statuses);
                            if (db.status() != 200) { synchronized (problems) { problems.add("delete child " + db); } }
                        }
                        Res da = retrying("DELETE", base + "/" + aId, null, statuses);
                        if (da.status() != 200) { synchronized (problems) { problems.add("delete " + da); } }
                        cycles.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }

        System.out.printf("concurrency: %d clients, %d create/child/delete cycles in %d s, statuses %s%n",
                CLIENTS, cycles.get(), RUN.toSeconds(), statuses);
        assertThat(statuses.keySet()).as("statuses seen").allMatch(st -> st < 500);
        assertThat(problems).isEmpty();
        assertThat(cycles.get()).isGreaterThan(CLIENTS);

        // settle: every operation ends, none failed
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonArray ops;
        while (true) {
            ops = ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations");
            boolean busy = ops.stream().anyMatch(o -> Set.of("scheduling", "running").contains(((JsonObject) o).getString("status")));
            if (!busy) break;
            assertThat(System.nanoTime()).as("operations did not settle").isLessThan(deadline);
            TestServer.sleep(100);
        }
        // finished, or skipped for the project's start_compute (this server has no compute); never failed
        assertThat(ops.stream().map(o -> (JsonObject) o).filter(o -> !Set.of("finished", "skipped").contains(o.getString("status")))
                .map(JsonObject::encode).toList()).isEmpty();
        assertThat(ops.stream().filter(o -> ((JsonObject) o).getString("status").equals("skipped"))
                .map(o -> ((JsonObject) o).getString("action"))).allMatch(a -> a.equals("start_compute"));

        JsonArray left = ok(s.get(base)).json().getJsonArray("branches");
        assertThat(left.size()).isEqualTo(1);
        assertThat(left.getJsonObject(0).getString("id")).isEqualTo(mainId);
        assertThat(ok(s.get(base + "/count")).json().getInteger("count")).isEqualTo(1);
        for (String id : created) assertThat(s.get(base + "/" + id).status()).isEqualTo(404);

        // the page store holds exactly the timeline of main
        Set<String> timelines = new HashSet<>();
        for (TimelineInfo t : s.server.store().timelines()) timelines.add(t.id().value());
        assertThat(timelines).hasSize(1);
    }
}
