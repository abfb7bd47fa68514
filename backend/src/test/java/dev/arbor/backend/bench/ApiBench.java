package dev.arbor.backend.bench;

import dev.arbor.backend.ComputeFactory;
import dev.arbor.backend.TestServer;
import dev.arbor.backend.TestServer.Res;
import dev.arbor.storage.TimelineInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * scripts/bench-api: N clients (default 50) create and delete branches on one project for S seconds
 * (default 60) against a real server (embedded metadata PostgreSQL, real page store, no compute).
 * Prints create-branch latency p50/p99/max, throughput and every status seen; exits 1 on any 5xx or
 * if metadata and page store disagree afterwards.
 */
public final class ApiBench {
    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(System.getenv().getOrDefault("BENCH_CLIENTS", "50"));
        int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "60"));
        int exit;
        try (TestServer s = TestServer.start(c -> c.withRateLimit(1_000_000).withQuotas(100, 10_000, 20), ComputeFactory.none())) {
            JsonObject p = s.createProject("bench");
            String pid = p.getJsonObject("project").getString("id");
            String base = "/projects/" + pid + "/branches";
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            List<Long> createNanos = Collections.synchronizedList(new ArrayList<>());
            List<Long> deleteNanos = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger cycles = new AtomicInteger();
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; System.nanoTime() < end; i++) {
                            String body = new JsonObject().put("branch", new JsonObject().put("name", "c" + client + "-" + i))
                                    .put("endpoints", new JsonArray()).encode();
                            Res r;
                            long t0;
                            do {
                                t0 = System.nanoTime();
                                r = s.call("POST", base, body, s.adminKey);
                                statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                            } while (r.status() == 423 || r.status() == 429);
                            if (r.status() != 201) continue;
                            createNanos.add(System.nanoTime() - t0);
                            String id = r.obj("branch").getString("id");
                            long d0 = System.nanoTime();
                            do {
                                r = s.call("DELETE", base + "/" + id, null, s.adminKey);
                                statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                                if (r.status() == 423) TestServer.sleep(5);
                            } while (r.status() == 423 || r.status() == 429);
                            if (r.status() == 200) deleteNanos.add(System.nanoTime() - d0);
                            cycles.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            System.out.printf("bench-api: %d clients, %.0f s, %d create+delete cycles (%.1f branches/s created and deleted)%n",
                    clients, elapsed, cycles.get(), cycles.get() / elapsed);
            System.out.printf("create-branch latency (201 answers, n=%d): p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
                    createNanos.size(), pct(createNanos, 50), pct(createNanos, 99), pct(createNanos, 100));
            System.out.printf("delete-branch until 200 (incl. 423 retries while its timeline is created, n=%d): p50 %.1f ms  p99 %.1f ms%n",
                    deleteNanos.size(), pct(deleteNanos, 50), pct(deleteNanos, 99));
            Map<Integer, Integer> sorted = new TreeMap<>();
            statuses.forEach((k, v) -> sorted.put(k, v.get()));
            System.out.println("statuses: " + sorted);

            // settle, then check that metadata and page store agree
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (true) {
                JsonArray ops = TestServer.ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations");
                if (ops.stream().noneMatch(o -> Set.of("scheduling", "running").contains(((JsonObject) o).getString("status")))) break;
                if (System.nanoTime() > deadline) throw new IllegalStateException("operations did not settle");
                Thread.sleep(100);
            }
            Map<String, Integer> opStatus = new TreeMap<>();
            JsonArray allOps = TestServer.ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations");
            allOps.forEach(o -> opStatus.merge(((JsonObject) o).getString("action") + ":" + ((JsonObject) o).getString("status"), 1, Integer::sum));
            System.out.println("operations: " + opStatus);
            int branches = TestServer.ok(s.get(base + "/count")).json().getInteger("count");
            List<TimelineInfo> timelines = s.server.store().timelines();
            boolean fiveXX = sorted.keySet().stream().anyMatch(k -> k >= 500);
            System.out.printf("after settling: %d branch(es) in metadata, %d timeline(s) in the page store, 5xx answers: %s%n",
                    branches, timelines.size(), fiveXX ? "YES" : "none");
            if (timelines.size() != 1) {
                System.out.println("timelines: " + timelines);
                allOps.stream().map(o -> (JsonObject) o).filter(o -> !o.getString("status").equals("finished")).forEach(o -> System.out.println("  " + o.encode()));
            }
            exit = fiveXX || branches != 1 || timelines.size() != 1 ? 1 : 0;
        }  // the server (and its metadata PostgreSQL) is closed before exiting
        System.exit(exit);
    }

    private static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) return Double.NaN;
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        int i = Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1);
        return s.get(Math.max(0, i)) / 1e6;
    }
}
