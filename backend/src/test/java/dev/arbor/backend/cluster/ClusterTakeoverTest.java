package dev.arbor.backend.cluster;

import dev.arbor.backend.compute.volume.Mounts;
import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;
import dev.arbor.storage.remote.S3Config;
import dev.arbor.storage.remote.S3ProxyServer;
import dev.arbor.storage.remote.S3RemoteStorage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real {@code arbor server} processes on loopback, one external metadata PostgreSQL and one S3 bucket
 * (s3proxy): a project created through node A is served by A (node B relays its API calls there); A is killed
 * with SIGKILL in the middle of an operation, B takes the project's lease once it expires, finishes the
 * operation, re-creates a branch whose timeline never reached the bucket, and psql reconnecting through B's
 * proxy finds every row A acknowledged, then writes and branches there.
 */
class ClusterTakeoverTest {
    private static final Pattern READY = Pattern.compile("arbor ready: API (http://127\\.0\\.0\\.1:\\d+/api/v2)");
    private static final Pattern PROXY = Pattern.compile("reachable through the proxy on 127\\.0\\.0\\.1:(\\d+)");
    private static final String KEY = "arbor-cluster-test-admin-key-0123456789";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    record Node(String id, Process process, String api, int proxyPort, List<String> lines, Path dataDir) {
        void kill9() throws InterruptedException {
            // the whole node dies at once, its postgres processes with it
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            process.destroyForcibly();
            tree.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(30, TimeUnit.SECONDS);
        }

        void terminate() throws Exception {
            if (!process.isAlive()) return;
            new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    private static Node launch(String id, Path dataDir, String metadataUrl, String bucketUrl) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.arbor.backend.Main",
                "server", "--data-dir", dataDir.toString(), "--api-port", "0", "--proxy-port", "0",
                "--metadata-url", metadataUrl, "--remote-storage", bucketUrl,
                "--node-id", id, "--lease-ttl", "3s", "--upload-interval", "500ms");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ARBOR_API_KEY", KEY);
        Process p = pb.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<String> api = new CompletableFuture<>();
        CompletableFuture<Integer> proxy = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    Matcher m = READY.matcher(line);
                    if (m.find()) api.complete(m.group(1));
                    Matcher q = PROXY.matcher(line);
                    if (q.find()) proxy.complete(Integer.parseInt(q.group(1)));
                }
            } catch (IOException ignored) { }
            api.completeExceptionally(new AssertionError("node " + id + " exited before it was ready:\n" + String.join("\n", lines)));
        });
        String base = api.get(180, TimeUnit.SECONDS);
        return new Node(id, p, base, proxy.get(5, TimeUnit.SECONDS), lines, dataDir);
    }

    private HttpResponse<String> call(String method, String url, JsonObject body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + KEY).header("content-type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitOperations(Node via, String projectId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            HttpResponse<String> r = call("GET", via.api() + "/projects/" + projectId + "/operations", null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonArray ops = new JsonObject(r.body()).getJsonArray("operations");
            boolean done = true;
            for (int i = 0; i < ops.size(); i++) {
                String st = ops.getJsonObject(i).getString("status");
                assertThat(st).as(ops.getJsonObject(i).encode()).isNotIn("failed", "error");
                done &= st.equals("finished") || st.equals("skipped");
            }
            if (done) return;
            assertThat(System.nanoTime()).as("operations of " + projectId + " still unfinished: " + ops.encode()).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static String psql(String uri, String sql) throws Exception {
        Process pr = new ProcessBuilder("psql", uri, "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (pr.waitFor() != 0) throw new IOException("psql failed: " + out);
        return out;
    }

    private long remoteLag(Node n) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(n.api().replace("/api/v2", "/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^arbor_remote_lag_bytes (\\d+)").matcher(metrics);
        assertThat(m.find()).as("arbor_remote_lag_bytes in /metrics of node " + n.id()).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void nodeBTakesOverNodeAsProjectAfterAIsKilled() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-cluster-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Node a = null, b = null;
        try (S3ProxyServer s3 = new S3ProxyServer(); PgCluster meta = new PgCluster(dir.resolve("metadata"), PgBinaries.locate())) {
            meta.start();
            String metadataUrl = "postgresql://" + PgCluster.SUPERUSER + ":" + URLEncoder.encode(meta.password(), StandardCharsets.UTF_8)
                    + "@127.0.0.1:" + meta.port() + "/" + PgCluster.DATABASE;
            S3Config bucket = s3.bucket("arbor-cluster");
            String bucketUrl = "s3://" + bucket.bucket() + "?endpoint=" + bucket.endpoint() + "&region=us-east-1&access_key="
                    + S3ProxyServer.ACCESS_KEY + "&secret_key=" + S3ProxyServer.SECRET_KEY;
            // nodes share the key that seals role passwords in the metadata (as they would share a Kubernetes secret)
            String secret = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(32)) + "\n";
            for (String n : List.of("a", "b")) {
                Path d = Files.createDirectories(dir.resolve("node-" + n));
                Files.writeString(d.resolve("secret-key"), secret);
                Files.setPosixFilePermissions(d.resolve("secret-key"), PosixFilePermissions.fromString("rw-------"));
            }
            a = launch("a", dir.resolve("node-a"), metadataUrl, bucketUrl);
            b = launch("b", dir.resolve("node-b"), metadataUrl, bucketUrl);

            // a project created through A is A's
            HttpResponse<String> created = call("POST", a.api() + "/projects", new JsonObject().put("project", new JsonObject().put("name", "shared")));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonObject project = new JsonObject(created.body());
            String pid = project.getJsonObject("project").getString("id");
            String uriA = project.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");
            awaitOperations(a, pid);
            psql(uriA, "create table ledger(id int primary key, note text); "
                    + "insert into ledger select g, 'row ' || g from generate_series(1, 5000) g");

            // B relays the project's API calls to A, which creates the branch on its store
            HttpResponse<String> viaB = call("POST", b.api() + "/projects/" + pid + "/branches", new JsonObject()
                    .put("branch", new JsonObject().put("name", "dev")).put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
            assertThat(viaB.statusCode()).as(viaB.body()).isEqualTo(201);
            assertThat(viaB.headers().firstValue(ProjectForwarding.SERVED_BY)).contains("a");
            awaitOperations(b, pid);
            // and B's proxy names A instead of serving A's endpoint
            String uriB = uriA.replace(":" + a.proxyPort() + "/", ":" + b.proxyPort() + "/");
            assertThat(uriB).isNotEqualTo(uriA);
            try {
                psql(uriB, "select 1");
                throw new AssertionError("node B served an endpoint of node A's project");
            } catch (IOException e) {
                assertThat(e.getMessage()).contains("served by node a");
            }

            // everything A acknowledged reaches the bucket within the upload interval
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (remoteLag(a) > 0) {
                assertThat(System.nanoTime()).as("node A's writes never fully reached the bucket").isLessThan(deadline);
                Thread.sleep(200);
            }
            // A dies in the middle of an operation (frozen by SIGSTOP right after the API accepted it): B finishes it
            String devEndpoint = new JsonObject(viaB.body()).getJsonArray("endpoints").getJsonObject(0).getString("id");
            HttpResponse<String> restart = call("POST", a.api() + "/projects/" + pid + "/endpoints/" + devEndpoint + "/restart", null);
            assertThat(restart.statusCode()).as(restart.body()).isEqualTo(200);
            new ProcessBuilder("kill", "-STOP", Long.toString(a.process().pid())).inheritIO().start().waitFor();
            try (var c = java.sql.DriverManager.getConnection(meta.jdbcUrl(PgCluster.DATABASE), PgCluster.SUPERUSER, meta.password());
                 var ps = c.prepareStatement("select count(*) from operations where project_id = ? and status in ('scheduling', 'running')")) {
                ps.setString(1, pid);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("operations A left unfinished").isPositive();
                }
            }
            // and as if A had died before the dev branch's timeline reached the bucket: its objects are gone
            String devTimeline;
            try (var c = java.sql.DriverManager.getConnection(meta.jdbcUrl(PgCluster.DATABASE), PgCluster.SUPERUSER, meta.password());
                 var ps = c.prepareStatement("select timeline_id from branches where project_id = ? and name = 'dev'")) {
                ps.setString(1, pid);
                try (var rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    devTimeline = rs.getString(1);
                }
            }
            try (S3RemoteStorage objects = S3RemoteStorage.open(bucket)) {
                List<String> keys = objects.list("timelines/" + devTimeline + "/");
                assertThat(keys).isNotEmpty();
                keys.forEach(objects::delete);
            }
            a.kill9();
            long killed = System.nanoTime();

            // B takes the project over once A's lease expires; the client reconnects through B's proxy
            String count = null;
            deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            IOException last = null;
            while (count == null && System.nanoTime() < deadline) {
                try {
                    count = psql(uriB, "select count(*) || ' ' || sum(id) from ledger");
                } catch (IOException e) {
                    last = e;
                    Thread.sleep(500);
                }
            }
            assertThat(count).as("psql through node B after A died: %s\nnode B log:\n%s", last, String.join("\n", b.lines())).isNotNull();
            assertThat(count).isEqualTo("5000 " + (5000L * 5001 / 2));
            awaitOperations(b, pid);  // the restart A never finished, finished by B
            // figures, not assertions: lease ttl 3 s, so about 3-4 s of it is waiting for A's lease to expire
            System.out.printf("takeover: first query answered through node B %d ms after node A was killed%n",
                    (System.nanoTime() - killed) / 1_000_000);
            b.lines().stream().filter(l -> l.contains("ClusterNode")).forEach(System.out::println);
            psql(uriB, "insert into ledger values (5001, 'written on b')");
            assertThat(psql(uriB, "select note from ledger where id = 5001")).isEqualTo("written on b");

            // the project's API is B's now: a branch of main, created on B's store, sees A's rows and B's
            HttpResponse<String> got = call("GET", b.api() + "/projects/" + pid, null);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.headers().firstValue(ProjectForwarding.SERVED_BY)).contains("b");
            HttpResponse<String> child = call("POST", b.api() + "/projects/" + pid + "/branches", new JsonObject()
                    .put("branch", new JsonObject().put("name", "after-takeover"))
                    .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
            assertThat(child.statusCode()).as(child.body()).isEqualTo(201);
            awaitOperations(b, pid);
            String childUri = new JsonObject(child.body()).getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");
            assertThat(childUri).contains(":" + b.proxyPort() + "/");
            assertThat(psql(childUri, "select count(*) from ledger")).isEqualTo("5001");
            // the branch whose timeline never reached the bucket is created again from main at its branch point
            assertThat(psql(branchUri(b, pid, "dev"), "select count(*) from ledger")).isEqualTo("5000");
            assertThat(b.lines()).anyMatch(l -> l.contains("created again from its parent"));

            // A comes back on its old disk, which still holds the project as it was when A died. B stops in order
            // (SIGTERM): its last writes reach the bucket and it hands the lease back at once, so A takes over
            // without waiting for a ttl, and from the bucket, not from its stale disk
            psql(uriB, "insert into ledger values (5002, 'last write on b')");
            a = launch("a", dir.resolve("node-a"), metadataUrl, bucketUrl);
            b.terminate();
            assertThat(b.lines()).anyMatch(l -> l.contains("handed back the leases"));
            String uriA2 = branchUri(a, pid, "main");
            assertThat(uriA2).contains(":" + a.proxyPort() + "/");
            assertThat(psql(uriA2, "select count(*) || ' ' || max(note) filter (where id = 5002) from ledger"))
                    .isEqualTo("5002 last write on b");
            assertThat(a.lines()).anyMatch(l -> l.contains("attached from the bucket"));
        } finally {
            if (b != null) b.terminate();
            if (a != null && a.process().isAlive()) a.kill9();
            for (Path m : Mounts.arborMounts()) if (m.startsWith(dir)) Mounts.unmount(m, true);
        }
    }

    private String branchUri(Node via, String pid, String branchName) throws Exception {
        JsonArray branches = new JsonObject(call("GET", via.api() + "/projects/" + pid + "/branches", null).body()).getJsonArray("branches");
        String id = null;
        for (int i = 0; i < branches.size(); i++) {
            if (branches.getJsonObject(i).getString("name").equals(branchName)) id = branches.getJsonObject(i).getString("id");
        }
        assertThat(id).as("branch " + branchName).isNotNull();
        HttpResponse<String> r = call("GET", via.api() + "/projects/" + pid + "/connection_uri?branch_id=" + id
                + "&database_name=neondb&role_name=neondb_owner", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body()).getString("uri");
    }
}
