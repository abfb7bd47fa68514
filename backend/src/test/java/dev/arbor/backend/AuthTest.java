package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** API keys: missing, malformed, unknown, revoked, project-scoped, admin-only calls, rate limit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthTest {
    private TestServer s;
    private String projectA;
    private String projectB;
    private String branchB;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start();
        projectA = s.createProject("a").getJsonObject("project").getString("id");
        JsonObject b = s.createProject("b");
        projectB = b.getJsonObject("project").getString("id");
        branchB = b.getJsonObject("branch").getString("id");
    }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private static void assertError(Res r, int status, String code, String messagePart) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        JsonObject j = r.json();
        assertThat(j.getString("code")).isEqualTo(code);
        assertThat(j.getString("message")).contains(messagePart);
        assertThat(j.getString("request_id")).isNotBlank();
    }

    @Test
    void adminKeyFileIsPrivateAndNotLogged() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.server.adminKeyFile()))).isEqualTo("rw-------");
        assertThat(s.adminKey).startsWith("arb_").hasSizeGreaterThan(40);
    }

    @Test
    void missingMalformedAndUnknownKeysAre401() {
        assertError(s.call("GET", "/projects", null, null), 401, "UNAUTHORIZED", "missing API key");
        assertError(s.call("GET", "/projects", null, "arb_not-a-real-key"), 401, "UNAUTHORIZED", "not valid");
        assertError(s.call("POST", "/projects", "{\"project\":{}}", "wrong"), 401, "UNAUTHORIZED", "not valid");
        HttpClient h = HttpClient.newHttpClient();
        try {
            var resp = h.send(HttpRequest.newBuilder(URI.create(s.base() + "/projects")).header("Authorization", "Basic Zm9vOmJhcg==").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(401);
            assertThat(resp.body()).contains("Bearer");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        // nothing was created by the refused POST
        assertThat(ok(s.get("/projects?limit=400")).json().getJsonArray("projects").size()).isEqualTo(2);
    }

    @Test
    void projectScopedKeySeesOnlyItsProject() {
        Res created = s.post("/api_keys", new JsonObject().put("key_name", "ci-a").put("project_id", projectA));
        assertThat(created.status()).isEqualTo(200);
        String key = created.json().getString("key");
        assertThat(key).startsWith("arb_");

        JsonArray projects = ok(s.call("GET", "/projects", null, key)).json().getJsonArray("projects");
        assertThat(projects.size()).isEqualTo(1);
        assertThat(projects.getJsonObject(0).getString("id")).isEqualTo(projectA);
        assertThat(s.call("GET", "/projects/" + projectA + "/branches", null, key).status()).isEqualTo(200);
        assertThat(s.call("POST", "/projects/" + projectA + "/branches", "{\"branch\":{\"name\":\"from-ci\"}}", key).status()).isEqualTo(201);

        assertError(s.call("GET", "/projects/" + projectB, null, key), 403, "FORBIDDEN", "scoped to project " + projectA);
        assertError(s.call("GET", "/projects/" + projectB + "/branches/" + branchB, null, key), 403, "FORBIDDEN", projectA);
        assertError(s.call("POST", "/projects/" + projectB + "/branches", "{\"branch\":{\"name\":\"x\"}}", key), 403, "FORBIDDEN", projectA);
        assertError(s.call("DELETE", "/projects/" + projectB, null, key), 403, "FORBIDDEN", projectA);
        assertError(s.call("GET", "/projects/no-such-project-1", null, key), 403, "FORBIDDEN", projectA);
        assertError(s.call("POST", "/projects", "{\"project\":{\"name\":\"x\"}}", key), 403, "FORBIDDEN", "cannot create projects");
        assertError(s.call("GET", "/api_keys", null, key), 403, "FORBIDDEN", "manage API keys");
        assertThat(ok(s.call("GET", "/auth", null, key)).json().getString("auth_method")).isEqualTo("api_key_user");
        // project B is untouched
        assertThat(ok(s.get("/projects/" + projectB + "/branches/count")).json().getInteger("count")).isEqualTo(1);
    }

    @Test
    void keysAreListedAndRevoked() {
        JsonObject k = ok(s.post("/api_keys", new JsonObject().put("key_name", "temp"))).json();
        String key = k.getString("key");
        long id = k.getLong("id");
        assertThat(s.call("GET", "/projects", null, key).status()).isEqualTo(200);
        JsonArray keys = ok(s.get("/api_keys")).array();
        assertThat(keys.stream().map(o -> ((JsonObject) o).getString("name"))).contains("admin", "temp");
        assertThat(keys.encode()).doesNotContain(key).doesNotContain(s.adminKey);
        JsonObject revoked = ok(s.delete("/api_keys/" + id)).json();
        assertThat(revoked.getBoolean("revoked")).isTrue();
        assertError(s.call("GET", "/projects", null, key), 401, "UNAUTHORIZED", "not valid");
        assertThat(ok(s.get("/api_keys")).array().stream().map(o -> ((JsonObject) o).getLong("id"))).doesNotContain(id);
        assertError(s.delete("/api_keys/999999"), 404, "NOT_FOUND", "999999");
        assertError(s.delete("/api_keys/abc"), 400, "BAD_REQUEST", "key_id");
    }

    @Test
    void rateLimitAnswers429ThenRecovers() throws Exception {
        String key = ok(s.post("/api_keys", new JsonObject().put("key_name", "slow").put("rate_limit_per_second", 5))).json().getString("key");
        List<Integer> statuses = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 40; i++) fs.add(pool.submit(() -> s.call("GET", "/regions", null, key).status()));
            for (Future<Integer> f : fs) statuses.add(f.get());
        }
        assertThat(statuses).contains(200, 429).allMatch(st -> st == 200 || st == 429);
        Res limited = null;
        for (int i = 0; i < 20 && limited == null; i++) {
            Res r = s.call("GET", "/regions", null, key);
            if (r.status() == 429) limited = r;
        }
        assertThat(limited).isNotNull();
        assertError(limited, 429, "TOO_MANY_REQUESTS", "rate limit");
        TestServer.sleep(1500);
        assertThat(s.call("GET", "/regions", null, key).status()).isEqualTo(200);
        // the admin key has its own bucket
        assertThat(s.get("/regions").status()).isEqualTo(200);
    }
}
