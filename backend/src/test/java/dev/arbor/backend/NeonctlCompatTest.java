package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Neon's own CLI (neonctl 5, from tools/ via scripts/install-deps) against Arbor, changed only by
 * --api-host and --api-key (plus --output json, a temp --config-dir and --no-analytics).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NeonctlCompatTest {
    private TestServer s;
    private NeonCli cli;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start();
        cli = new NeonCli(s);
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (cli != null) cli.close();
    }

    private NeonCli.Run neonctl(String... args) throws Exception { return cli.run(args); }

    private NeonCli.Run ok(String... args) throws Exception { return cli.ok(args); }

    private void awaitAll(String pid) {
        s.awaitOperations(pid, TestServer.ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations"));
    }

    @Test
    void neonctlDrivesArbor() throws Exception {
        JsonObject created = ok("projects", "create", "--name", "compat", "-o", "json").json();
        String pid = created.getJsonObject("project").getString("id");
        assertThat(created.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri")).startsWith("postgresql://neondb_owner:");
        awaitAll(pid);

        NeonCli.Run list = ok("projects", "list", "-o", "json");
        assertThat(list.out()).contains(pid).contains("compat");

        // the only project: neonctl finds it itself (organizations + projects?limit=2 prelude)
        NeonCli.Run branches0 = ok("branches", "list", "-o", "json");
        assertThat(branches0.array().getJsonObject(0).getString("name")).isEqualTo("main");

        JsonObject br = ok("branches", "create", "--name", "dev-alice", "--parent", "main", "--project-id", pid, "-o", "json").json();
        String dev = br.getJsonObject("branch").getString("id");
        String mainId = branches0.array().getJsonObject(0).getString("id");
        assertThat(br.getJsonObject("branch").getString("parent_id")).isEqualTo(mainId);
        assertThat(br.getJsonArray("endpoints").getJsonObject(0).getString("id")).startsWith("ep-");
        awaitAll(pid);

        JsonArray listed = ok("branches", "list", "--project-id", pid, "-o", "json").array();
        assertThat(listed.stream().map(b -> ((JsonObject) b).getString("name"))).containsExactlyInAnyOrder("main", "dev-alice");
        NeonCli.Run table = ok("branches", "list", "--project-id", pid);  // table output needs 'annotations'
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
        NeonCli.Run dup = neonctl("branches", "create", "--name", "dev-bob", "--project-id", pid);
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.out()).contains("branch with name dev-bob already exists");

        // a repeated delete is "already gone" (204, no body): neonctl exits 0, as against Neon
        for (int i = 0; i < 2; i++) {
            ok("databases", "delete", "appdb", "--branch", "dev-bob", "--project-id", pid, "-o", "json");
            ok("roles", "delete", "alice", "--branch", "dev-bob", "--project-id", pid, "-o", "json");
        }
        assertThat(s.get("/projects/" + pid + "/branches/" + dev + "/roles/alice").status()).isEqualTo(404);

        // wait for the role/database operations, then delete
        awaitAll(pid);
        ok("branches", "delete", "dev-bob", "--project-id", pid, "-o", "json");
        assertThat(s.get("/projects/" + pid + "/branches/" + dev).status()).isEqualTo(404);
        ok("branches", "delete", dev, "--project-id", pid, "-o", "json");  // by id: no name lookup, the server says 204
        assertThat(ok("branches", "list", "--project-id", pid, "-o", "json").array().size()).isEqualTo(1);
    }
}
