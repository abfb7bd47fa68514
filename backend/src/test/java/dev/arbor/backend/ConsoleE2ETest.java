package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in real headless Chromium (Debian's {@code /usr/bin/chromium} driven by playwright-core
 * from {@code tools/}), against a server with real compute: {@code src/test/js/console-e2e.mjs} clicks
 * through sign-in, create, reset, restore to a time and delete, checking the DOM, the API and psql through the copied
 * connection string. The screenshot lands in {@code backend/target/console/console.png} (kept by CI).
 */
class ConsoleE2ETest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static TestServer s;
    static Path repo;

    @BeforeAll
    static void start() throws Exception {
        repo = Path.of(System.getProperty("arbor.repoRoot", "..")).toAbsolutePath().normalize();
        s = TestServer.start(c -> c, LocalCompute.factory());
    }

    @AfterAll
    static void stop() throws IOException { if (s != null) s.close(); }

    private String root() { return s.base().substring(0, s.base().length() - "/api/v2".length()); }

    private HttpResponse<String> fetch(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(root() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheConsoleWithAStrictPolicy() throws Exception {
        HttpResponse<String> redirect = fetch("/console");
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("location")).hasValue("/console/");
        HttpResponse<String> index = fetch("/console/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("content-type").orElse("")).startsWith("text/html");
        assertThat(index.headers().firstValue("content-security-policy").orElse("")).contains("default-src 'self'");
        assertThat(index.body()).contains("<script type=\"module\" src=\"js/app.js\">");
        HttpResponse<String> js = fetch("/console/js/app.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("content-type").orElse("")).contains("javascript");
        HttpResponse<String> missing = fetch("/console/nope.js");
        assertThat(missing.statusCode()).isEqualTo(404);
        // the API keeps its own JSON errors next to the console
        assertThat(fetch("/api/v2/projects").body()).contains("\"code\":\"UNAUTHORIZED\"");
    }

    @Test
    void createResetDeleteInChromium() throws Exception {
        Path playwright = repo.resolve("tools/node_modules/playwright-core");
        String node = requireTools(playwright);
        JsonObject project = s.createProject("console-demo").getJsonObject("project");
        String projectId = project.getString("id");
        // a deeper tree for the badges: protected staging (no endpoint) with an expiring child
        String staging = s.createBranch(projectId, new JsonObject().put("name", "staging").put("protected", true))
                .getJsonObject("branch").getString("id");
        s.createBranch(projectId, new JsonObject().put("name", "pr-7").put("parent_id", staging)
                .put("expires_at", java.time.Instant.now().plus(java.time.Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()));

        Path screenshot = repo.resolve("backend/target/console/console.png");
        Files.deleteIfExists(screenshot);
        Path log = s.dir.resolve("console-e2e.log");
        ProcessBuilder pb = new ProcessBuilder(node, repo.resolve("backend/src/test/js/console-e2e.mjs").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        var env = pb.environment();
        env.put("ARBOR_URL", root());
        env.put("ARBOR_API_KEY", s.adminKey);
        env.put("ARBOR_PROJECT_ID", projectId);
        env.put("SCREENSHOT", screenshot.toString());
        env.put("PLAYWRIGHT_CORE", playwright.toString());
        env.put("CHROMIUM", CHROMIUM.toString());
        env.put("USER_DATA_DIR", Files.createDirectories(s.dir.resolve("chromium-profile")).toString());
        Process p = pb.start();
        boolean exited = p.waitFor(8, TimeUnit.MINUTES);
        if (!exited) p.destroyForcibly().waitFor();
        String out = Files.readString(log);
        assertThat(exited).as("console-e2e.mjs did not finish in 8 minutes:\n%s", out).isTrue();
        assertThat(p.exitValue()).as("console-e2e.mjs failed:\n%s", out).isZero();

        String resultLine = out.lines().filter(l -> l.startsWith("{\"result\"")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no result line in:\n" + out));
        JsonObject result = new JsonObject(resultLine).getJsonObject("result");
        String branchId = result.getString("branchId");

        // what the clicks did, as the API recorded it: a create, a reset and a restore (replacing create_timelines), a delete
        JsonArray ops = ok(s.get("/projects/" + projectId + "/operations?limit=200")).json().getJsonArray("operations");
        // the delete's operations may still be running: wait for them, then look at the final states
        List<JsonObject> mine = s.awaitOperations(projectId, new JsonArray(ops.stream()
                .filter(o -> branchId.equals(((JsonObject) o).getString("branch_id"))).toList()));
        assertThat(mine).extracting(o -> o.getString("action"))
                .contains("create_timeline", "start_compute", "delete_compute", "delete_timeline");
        assertThat(mine.stream().filter(o -> o.getString("action").equals("create_timeline")).count()).as("create + reset + restore").isEqualTo(3);
        assertThat(mine).allSatisfy(o -> assertThat(o.getString("status")).isIn("finished", "skipped"));
        assertThat(s.get("/projects/" + projectId + "/branches/" + branchId).status()).isEqualTo(404);
        assertThat(result.getString("lastResetAt")).isNotBlank();

        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png.length).as("screenshot size").isGreaterThan(20_000);
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    /** Fails loudly, naming what is missing and how to get it. */
    private static String requireTools(Path playwright) throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new AssertionError(CHROMIUM + " is missing: install Debian's chromium (scripts/install-deps does)");
        }
        if (!Files.isRegularFile(playwright.resolve("index.mjs"))) {
            throw new AssertionError("playwright-core is missing at " + playwright + ": run scripts/install-deps");
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path node = Path.of(dir, "node");
            if (Files.isExecutable(node)) return node.toString();
        }
        throw new AssertionError("node is not on PATH: install nodejs (scripts/install-deps does)");
    }
}
