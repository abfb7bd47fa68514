package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * A real Arbor server for a test class: embedded metadata PostgreSQL, page store and HTTP API on a free
 * port, in a fresh temp dir (traversable by the postgres OS user), plus a small HTTP client.
 */
public final class TestServer implements AutoCloseable {
    public final Path dir;
    public ArborServer server;
    public String adminKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    private TestServer(Path dir) { this.dir = dir; }

    public static TestServer start() throws Exception {
        return start(c -> c, ComputeFactory.none());
    }

    public static TestServer start(UnaryOperator<ServerConfig> tweak, ComputeFactory compute) throws Exception {
        TestServer t = new TestServer(newDir());
        t.boot(tweak, compute);
        return t;
    }

    public static Path newDir() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-test-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        return dir;
    }

    /**
     * The server-wide per-key rate limit is lifted: suites like BadInputTest fire hundreds of requests
     * a second on a quiet machine. AuthTest covers rate limiting with a key that sets its own limit.
     */
    public static ServerConfig config(Path dir) {
        return ServerConfig.defaults(dir.resolve("data")).withApiPort(0).withProxyPort(0).withRateLimit(1_000_000);
    }

    public void boot(UnaryOperator<ServerConfig> tweak, ComputeFactory compute) throws Exception {
        server = ArborServer.start(tweak.apply(config(dir)), compute);
        adminKey = Files.readString(server.adminKeyFile()).strip();
    }

    /** Stops the server but keeps its data (for restart tests). */
    public void stop() {
        if (server != null) server.close();
        server = null;
    }

    public String base() { return server.apiBase(); }

    @Override
    public void close() throws IOException {
        stop();
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    try { Files.deleteIfExists(p); } catch (IOException ignored) { }
                }
            }
        }
    }

    // ------------------------------------------------------------------ HTTP

    /** An HTTP answer: status and body parsed as JSON when it is JSON. */
    public record Res(int status, String raw) {
        public JsonObject json() { return new JsonObject(raw); }
        public JsonArray array() { return new JsonArray(raw); }
        public JsonObject obj(String field) { return json().getJsonObject(field); }
        @Override public String toString() { return status + " " + raw; }
    }

    public Res call(String method, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
        if (key != null) b.header("Authorization", "Bearer " + key);
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new RuntimeException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    public Res get(String path) { return call("GET", path, null, adminKey); }
    public Res post(String path, Object body) { return call("POST", path, body == null ? null : body.toString(), adminKey); }
    public Res patch(String path, Object body) { return call("PATCH", path, body.toString(), adminKey); }
    public Res delete(String path) { return call("DELETE", path, null, adminKey); }

    /** 2xx or fail with the whole answer. */
    public static Res ok(Res r) {
        if (r.status() / 100 != 2) throw new AssertionError("expected 2xx, got " + r);
        return r;
    }

    public JsonObject createProject(String name) {
        Res r = post("/projects", new JsonObject().put("project", new JsonObject().put("name", name)));
        if (r.status() != 201) throw new AssertionError("project create: " + r);
        JsonObject j = r.json();
        awaitOperations(j.getJsonObject("project").getString("id"), j.getJsonArray("operations"));
        return j;
    }

    /** Creates a branch (no endpoint) and waits for its operations; returns the create response. */
    public JsonObject createBranch(String projectId, JsonObject branch) {
        Res r = post("/projects/" + projectId + "/branches", new JsonObject().put("branch", branch).put("endpoints", new JsonArray()));
        if (r.status() != 201) throw new AssertionError("branch create: " + r);
        awaitOperations(projectId, r.json().getJsonArray("operations"));
        return r.json();
    }

    /** Polls every operation until none is scheduling/running; returns their final JSON. */
    public List<JsonObject> awaitOperations(String projectId, JsonArray ops) {
        List<JsonObject> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int i = 0; i < ops.size(); i++) {
            String id = ops.getJsonObject(i).getString("id");
            while (true) {
                JsonObject op = ok(get("/projects/" + projectId + "/operations/" + id)).obj("operation");
                String s = op.getString("status");
                if (!s.equals("scheduling") && !s.equals("running")) {
                    out.add(op);
                    break;
                }
                if (System.nanoTime() > deadline) throw new AssertionError("operation still " + s + ": " + op);
                sleep(20);
            }
        }
        return out;
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }
}
