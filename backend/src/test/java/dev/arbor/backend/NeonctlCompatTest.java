package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Neon's own CLI (neonctl 5, from tools/ via scripts/install-deps) against Arbor, changed only by
 * --api-host and --api-key (plus --output json, a temp --config-dir and --no-analytics).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NeonctlCompatTest {
    private TestServer s;
    private Path neonctl;
    private Path home;

    record Run(int exit, String out) {
        JsonObject json() { return new JsonObject(out); }
        JsonArray array() { return new JsonArray(out); }
    }

    @BeforeAll
    void start() throws Exception {
        Path root = Path.of(System.getProperty("arbor.repoRoot", "..")).toAbsolutePath().normalize();
        neonctl = root.resolve("tools/node_modules/.bin/neonctl");
        if (!Files.isExecutable(neonctl)) {
            throw new IllegalStateException("neonctl is missing at " + neonctl + "; run scripts/install-deps (npm install neonctl@5 into tools/)");
        }
        s = TestServer.start();
        home = Files.createTempDirectory("neonctl-home-");
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (home != null) {
            try (var walk = Files.walk(home)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private Run neonctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(neonctl.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--api-host", s.base(), "--api-key", s.adminKey, "--config-dir", home.resolve("config").toString(),
                "--no-analytics"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(home.toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("CI", "true");
        pb.environment().put("NO_UPDATE_NOTIFIER", "1");
        pb.environment().remove("NEON_API_KEY");
        pb.environment().remove("NEON_API_HOST");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("neonctl " + String.join(" ", args) + " timed out");
        }
        return new Run(p.exitValue(), out.strip());
    }

    private Run ok(String... args) throws Exception {
        Run r = neonctl(args);
        assertThat(r.exit()).as("neonctl " + String.join(" ", args) + "\n" + r.out()).isZero();
        return r;
    }

    private void awaitAll(String pid) {
        s.awaitOperations(pid, TestServer.ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations"));
    }

    @Test
    void neonctlDrivesArbor() throws Exception {
        JsonObject created = ok("projects", "create", "--name", "compat", "-o", "json").json();
        String pid = created.getJsonObject("project").getString("id");
        assertThat(created.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri")).startsWith("postgresql://neondb_owner:");
        awaitAll(pid);

        Run list = ok("projects", "list", "-o", "json");
        assertThat(list.out()).contains(pid).contains("compat");

        // the only project: neonctl finds it itself (organizations + projects?limit=2 prelude)
        Run branches0 = ok("branches", "list", "-o", "json");
        assertThat(branches0.array().getJsonObject(0).getString("name")).isEqualTo("main");

        JsonObject br = ok("branches", "create", "--name", "dev-alice", "--parent", "main", "--project-id", pid, "-o", "json").json();
        String dev = br.getJsonObject("branch").getString("id");
        String mainId = branches0.array().getJsonObject(0).getString("id");
        assertThat(br.getJsonObject("branch").getString("parent_id")).isEqualTo(mainId);
        assertThat(br.getJsonArray("endpoints").getJsonObject(0).getString("id")).startsWith("ep-");
        awaitAll(pid);

        JsonArray listed = ok("branches", "list", "--project-id", pid, "-o", "json").array();
        assertThat(listed.stream().map(b -> ((JsonObject) b).getString("name"))).containsExactlyInAnyOrder("main", "dev-alice");
        Run table = ok("branches", "list", "--project-id", pid);  // table output needs 'annotations'
        assertThat(table.out()).contains("dev-alice").contains("main");

        JsonObject got = ok("branches", "get", "dev-alice", "--project-id", pid, "-o", "json").json();
        assertThat(got.getString("id")).isEqualTo(dev);

        ok("branches", "rename", "dev-alice", "dev-bob", "--project-id", pid, "-o", "json");
        assertThat(TestServer.ok(s.get("/projects/" + pid + "/branches/" + dev)).obj("branch").getString("name")).isEqualTo("dev-bob");

        JsonObject role = ok("roles", "create", "--name", "alice", "--branch", "dev-bob", "--project-id", pid, "-o", "json").json();
        assertThat(role.getString("name")).isEqualTo("alice");
        JsonObject db = ok("databases", "create", "--name", "appdb", "--branch", "dev-bob", "--owner-name", "alice",
                "--project-id", pid, "-o", "json").json();
        assertThat(db.getString("name")).isEqualTo("appdb");
        assertThat(db.getString("owner_name")).isEqualTo("alice");
        assertThat(TestServer.ok(s.get("/projects/" + pid + "/branches/" + dev + "/databases/appdb")).obj("database")
                .getString("owner_name")).isEqualTo("alice");

        // errors come back as neonctl's ERROR: <message>
        Run dup = neonctl("branches", "create", "--name", "dev-bob", "--project-id", pid);
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.out()).contains("branch with name dev-bob already exists");

        // wait for the role/database operations, then delete
        awaitAll(pid);
        ok("branches", "delete", "dev-bob", "--project-id", pid, "-o", "json");
        assertThat(s.get("/projects/" + pid + "/branches/" + dev).status()).isEqualTo(404);
        assertThat(ok("branches", "list", "--project-id", pid, "-o", "json").array().size()).isEqualTo(1);
    }
}
