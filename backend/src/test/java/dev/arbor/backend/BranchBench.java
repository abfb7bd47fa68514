package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * scripts/bench-branches: branch workflows against a real server with real compute.
 * (1) create-branch latency through the API (POST round trip, and until its operations finished) from a
 * pgbench scale-1 parent and a scale-N parent (default 50): copy-on-write means size must not matter;
 * (2) storage of K branches (default 50) of a pgbench parent that each update 1% of pgbench_accounts,
 * as physical bytes of the whole project over physical bytes of the parent alone (settled: written out by a
 * suspend, compacted), and per branch against the parent's logical size.
 * Env: BENCH_BIG_SCALE (50), BENCH_CREATES (40), BENCH_BRANCHES (50), BENCH_STORAGE_SCALE (10), BENCH_ONLY=storage,
 * BENCH_BREAKDOWN=1 (per-branch spread, and where the last branch's own bytes go, by file).
 */
public final class BranchBench {
    public static void main(String[] args) throws Exception {
        int bigScale = env("BENCH_BIG_SCALE", 50);
        int creates = env("BENCH_CREATES", 40);
        int branches = env("BENCH_BRANCHES", 50);
        int storageScale = env("BENCH_STORAGE_SCALE", 10);
        try (TestServer s = TestServer.start(c -> c.withRateLimit(1_000_000).withQuotas(100, 10_000, 200), LocalCompute.factory())) {
            if (System.getenv().getOrDefault("BENCH_ONLY", "").equals("storage")) {
                storage(s, storageScale, branches);
                System.exit(0);
            }
            double[] small = createLatency(s, 1, creates);
            double[] big = createLatency(s, bigScale, creates);
            System.out.printf("create-branch API p50/p99 ms: scale 1 %.1f / %.1f, scale %d %.1f / %.1f; p50 ratio %.2f (goal p50 <= 50 ms, ratio <= 1.2)%n",
                    small[0], small[1], bigScale, big[0], big[1], big[0] / small[0]);
            System.out.printf("create-branch until operations finished p50/p99 ms: scale 1 %.1f / %.1f, scale %d %.1f / %.1f%n",
                    small[2], small[3], bigScale, big[2], big[3]);
            storage(s, storageScale, branches);
        }
        System.exit(0);
    }

    private static int env(String k, int d) { return Integer.parseInt(System.getenv().getOrDefault(k, Integer.toString(d))); }

    private static String uri(TestServer s, String pid, String branchId) {
        return TestServer.ok(s.get("/projects/" + pid + "/connection_uri?branch_id=" + branchId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd).replaceAll("://[^@]*@", "://***@") + ": " + out);
    }

    /** {p50, p99} of the POST round trip, then {p50, p99} until its operations finished, in ms. */
    private static double[] createLatency(TestServer s, int scale, int n) throws Exception {
        JsonObject p = s.createProject("bench-s" + scale);
        String pid = p.getJsonObject("project").getString("id");
        String main = p.getJsonObject("branch").getString("id");
        long t0 = System.nanoTime();
        run("pgbench", "-q", "-i", "-s", Integer.toString(scale), uri(s, pid, main));
        System.out.printf("pgbench -i -s %d: %.1f s%n", scale, (System.nanoTime() - t0) / 1e9);
        List<Double> api = new ArrayList<>();
        List<Double> done = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n + 5; i++) {
            long a = System.nanoTime();
            Res r = s.post("/projects/" + pid + "/branches", new JsonObject().put("branch", new JsonObject().put("name", "b" + i))
                    .put("endpoints", new JsonArray()));
            long b = System.nanoTime();
            if (r.status() != 201) throw new IllegalStateException("create: " + r);
            s.awaitOperations(pid, r.json().getJsonArray("operations"));
            long c = System.nanoTime();
            if (i >= 5) {  // warm-up
                api.add((b - a) / 1e6);
                done.add((c - a) / 1e6);
            }
            ids.add(r.json().getJsonObject("branch").getString("id"));
        }
        for (String id : ids) s.awaitOperations(pid, TestServer.ok(s.delete("/projects/" + pid + "/branches/" + id)).json().getJsonArray("operations"));
        return new double[]{pct(api, 50), pct(api, 99), pct(done, 50), pct(done, 99)};
    }

    private static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    private static long physical(TestServer s, String pid) {
        return TestServer.ok(s.get("/projects/" + pid + "/consumption")).json().getJsonObject("totals").getLong("physical_size_bytes");
    }

    private static void storage(TestServer s, int scale, int k) throws Exception {
        JsonObject p = s.createProject("bench-storage");
        String pid = p.getJsonObject("project").getString("id");
        String main = p.getJsonObject("branch").getString("id");
        run("pgbench", "-q", "-i", "-s", Integer.toString(scale), uri(s, pid, main));
        // one copy = the parent with its data durably in the store: a suspend's shutdown checkpoint writes it
        // out; then it runs again, so branches are taken from a live parent as in real use
        String mainEp = p.getJsonArray("endpoints").getJsonObject(0).getString("id");
        s.awaitOperations(pid, TestServer.ok(s.post("/projects/" + pid + "/endpoints/" + mainEp + "/suspend", new JsonObject()))
                .json().getJsonArray("operations"));
        // ...and settled: the background compaction the bulk load triggers (an image layer over its delta layers,
        // which the history window keeps as well) runs now instead of in the middle of the branch loop
        var store = s.server.store();
        for (var t : store.timelines()) store.compact(t.id());
        long one = physical(s, pid);
        s.awaitOperations(pid, TestServer.ok(s.post("/projects/" + pid + "/endpoints/" + mainEp + "/start", new JsonObject()))
                .json().getJsonArray("operations"));
        int rows = scale * 100_000;
        int perBranch = rows / 100;
        long t0 = System.nanoTime();
        for (int i = 0; i < k; i++) {
            Res r = s.post("/projects/" + pid + "/branches", new JsonObject().put("branch", new JsonObject().put("name", "u" + i))
                    .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
            if (r.status() != 201) throw new IllegalStateException("create: " + r);
            s.awaitOperations(pid, r.json().getJsonArray("operations"));
            String b = r.json().getJsonObject("branch").getString("id");
            int from = i * perBranch % rows;
            run("psql", uri(s, pid, b), "-Atc", "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid > " + from
                    + " AND aid <= " + (from + perBranch));
            // stop its postgres (a shutdown checkpoint writes the changed pages back) so K endpoints never run at once
            String ep = r.json().getJsonArray("endpoints").getJsonObject(0).getString("id");
            s.awaitOperations(pid, TestServer.ok(s.delete("/projects/" + pid + "/endpoints/" + ep)).json().getJsonArray("operations"));
        }
        long all = physical(s, pid);
        if (System.getenv().containsKey("BENCH_BREAKDOWN")) {
            List<Long> own = new ArrayList<>();
            long parentNow = 0;
            for (Object o : TestServer.ok(s.get("/projects/" + pid + "/consumption")).json().getJsonArray("branches")) {
                JsonObject b = (JsonObject) o;
                if (b.getString("branch_id").equals(main)) parentNow = b.getLong("physical_size_unique_bytes");
                else own.add(b.getLong("physical_size_unique_bytes"));
            }
            Collections.sort(own);
            System.out.printf("parent alone now %.1f MB (was %.1f); per branch unique MB min %.2f median %.2f max %.2f%n", parentNow / 1e6,
                    one / 1e6, own.getFirst() / 1e6, own.get(own.size() / 2) / 1e6, own.getLast() / 1e6);
            breakdown(s, pid, "u" + (k - 1));
        }
        System.out.printf("storage: parent (pgbench scale %d) %.1f MB physical; with %d branches each updating 1%% of %d rows %.1f MB = %.2fx one copy (goal <= 1.6x); %.1f s%n",
                scale, one / 1e6, k, rows, all / 1e6, (double) all / one, (System.nanoTime() - t0) / 1e9);
        long logical = TestServer.ok(s.get("/projects/" + pid + "/consumption")).json().getJsonArray("branches").stream()
                .map(JsonObject.class::cast).filter(b -> b.getString("branch_id").equals(main)).findFirst().orElseThrow().getLong("logical_size");
        System.out.printf("storage: each branch adds %.2f MB = %.1f%% of the parent's logical size (%.1f MB)%n",
                (all - one) / 1e6 / k, 100.0 * (all - one) / k / logical, logical / 1e6);
    }

    /** Where a branch's own bytes go: stored block and attribute versions in its own layers, by file. */
    private static void breakdown(TestServer s, String pid, String name) {
        String tl = TestServer.ok(s.get("/projects/" + pid + "/branches?search=" + name)).json().getJsonArray("branches")
                .getJsonObject(0).getString("timeline_id", null);
        var store = s.server.store();
        var id = tl != null ? new dev.arbor.storage.TimelineId(tl) : null;
        if (id == null) {  // the API does not show timelines: find the newest one
            id = store.timelines().getLast().id();
        }
        java.util.Map<Long, String> paths = new java.util.HashMap<>();
        walk(store.fileTree(id), "/", paths);
        java.util.Map<String, long[]> by = new java.util.TreeMap<>();
        var own = id;
        store.timeline(id).forEachVersion(v -> {
            if (!v.owner().equals(own)) return;
            String path = paths.getOrDefault(v.key().inode(), "(removed inode " + v.key().inode() + ")");
            String group = path.startsWith("/pg_wal/") ? "/pg_wal/*" : path;
            long[] a = by.computeIfAbsent(group + " " + v.key().kind(), x -> new long[2]);
            a[0]++;
            a[1] += v.value() == null ? 0 : v.value().length;
        });
        by.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).limit(25)
                .forEach(e -> System.out.printf("  %-60s %6d versions %9.1f KB%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1e3));
    }

    private static void walk(dev.arbor.storage.FileTree t, String dir, java.util.Map<Long, String> paths) {
        for (var e : t.list(dir)) {
            String p = (dir.equals("/") ? "/" : dir + "/") + e.name();
            paths.put(e.inode(), p);
            if (e.directory()) walk(t, p, paths);
        }
    }
}
