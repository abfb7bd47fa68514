package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import dev.arbor.backend.ops.NoCompute;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** Every API endpoint over real HTTP against a server with the embedded metadata PostgreSQL and the real page store. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
    private TestServer s;

    @BeforeAll
    void start() throws Exception { s = TestServer.start(); }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private static List<String> ids(JsonArray a) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) out.add(a.getJsonObject(i).getString("id"));
        return out;
    }

    /** Neon's answer to deleting what is already gone: 204 and no body. */
    private static void assertGone(Res r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(204);
        assertThat(r.raw()).isEmpty();
    }

    @Test
    void healthzAnswersOk() {
        Res r = s.call("GET", "", null, null);  // base itself is not a route
        assertThat(r.status()).isEqualTo(404);
        var h = java.net.http.HttpClient.newHttpClient();
        try {
            var resp = h.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + s.server.apiPort() + "/healthz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(resp.body()).contains("\"ok\"");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void projectLifecycle() {
        Res created = s.post("/projects", new JsonObject().put("project", new JsonObject().put("name", "lifecycle")
                .put("branch", new JsonObject().put("role_name", "app_owner").put("database_name", "appdb"))));
        assertThat(created.status()).isEqualTo(201);
        JsonObject j = created.json();
        JsonObject p = j.getJsonObject("project");
        String pid = p.getString("id");
        assertThat(pid).matches("[a-z]+-[a-z]+-\\d{8}");
        assertThat(p.getString("name")).isEqualTo("lifecycle");
        assertThat(p.getInteger("pg_version")).isEqualTo(15);
        JsonObject branch = j.getJsonObject("branch");
        assertThat(branch.getString("id")).matches("br-[a-z]+-[a-z]+-\\d{8}");
        assertThat(branch.getString("name")).isEqualTo("main");
        assertThat(branch.getBoolean("default")).isTrue();
        JsonObject role = j.getJsonArray("roles").getJsonObject(0);
        assertThat(role.getString("name")).isEqualTo("app_owner");
        assertThat(role.getString("password")).startsWith("npg_");
        assertThat(j.getJsonArray("databases").getJsonObject(0).getString("owner_name")).isEqualTo("app_owner");
        JsonObject ep = j.getJsonArray("endpoints").getJsonObject(0);
        assertThat(ep.getString("type")).isEqualTo("read_write");
        assertThat(ep.getString("host")).contains(ep.getString("id"));
        assertThat(j.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri"))
                .contains("app_owner:" + role.getString("password")).contains("/appdb").contains(ep.getString("id"));
        JsonArray ops = j.getJsonArray("operations");
        assertThat(ops.stream().map(o -> ((JsonObject) o).getString("action"))).containsExactly("create_timeline", "start_compute");

        List<JsonObject> done = s.awaitOperations(pid, ops);
        assertThat(done.get(0).getString("status")).isEqualTo("finished");
        // no compute on this server: the start is reported as skipped, never as a fake success
        assertThat(done.get(1).getString("status")).isEqualTo("skipped");
        assertThat(done.get(1).getString("error")).isEqualTo(NoCompute.REASON);
        JsonObject epNow = ok(s.get("/projects/" + pid + "/endpoints/" + ep.getString("id"))).obj("endpoint");
        assertThat(epNow.getString("current_state")).isEqualTo("idle");
        assertThat(epNow.containsKey("pending_state")).isFalse();
        JsonObject mainNow = ok(s.get("/projects/" + pid + "/branches/" + branch.getString("id"))).obj("branch");
        assertThat(mainNow.getString("current_state")).isEqualTo("ready");

        assertThat(ok(s.get("/projects/" + pid)).obj("project").getString("name")).isEqualTo("lifecycle");
        JsonObject upd = ok(s.patch("/projects/" + pid, new JsonObject().put("project", new JsonObject()
                .put("name", "renamed").put("history_retention_seconds", 3600)
                .put("default_endpoint_settings", new JsonObject().put("autoscaling_limit_max_cu", 2))))).json();
        assertThat(upd.getJsonObject("project").getString("name")).isEqualTo("renamed");
        assertThat(upd.getJsonObject("project").getInteger("history_retention_seconds")).isEqualTo(3600);
        assertThat(upd.getJsonObject("project").getJsonObject("default_endpoint_settings").getDouble("autoscaling_limit_max_cu")).isEqualTo(2.0);
        assertThat(upd.getJsonArray("operations")).isEmpty();

        Res del = s.delete("/projects/" + pid);
        assertThat(del.status()).isEqualTo(200);
        assertThat(del.obj("project").getString("id")).isEqualTo(pid);
        assertThat(s.get("/projects/" + pid).status()).isEqualTo(404);
        assertThat(s.get("/projects/" + pid + "/branches").status()).isEqualTo(404);
        assertThat(s.delete("/projects/" + pid).status()).isEqualTo(404);
    }

    @Test
    void projectListPaginatesWithCursor() {
        Set<String> mine = new HashSet<>();
        for (int i = 0; i < 5; i++) mine.add(s.createProject("page-" + i).getJsonObject("project").getString("id"));
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 50; page++) {
            JsonObject j = ok(s.get("/projects?limit=2" + (cursor == null ? "" : "&cursor=" + cursor))).json();
            assertThat(j.getJsonObject("applications")).isNotNull();
            JsonArray ps = j.getJsonArray("projects");
            assertThat(ps.size()).isLessThanOrEqualTo(2);
            seen.addAll(ids(ps));
            cursor = j.getJsonObject("pagination").getString("cursor");
            if (ps.size() < 2) break;
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(mine);
        assertThat(ok(s.get("/projects?search=page-3")).json().getJsonArray("projects").size()).isEqualTo(1);
        assertThat(ok(s.get("/projects/shared?limit=100")).json().getJsonArray("projects")).isEmpty();
    }

    @Test
    void branchLifecycle() {
        JsonObject proj = s.createProject("branches");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String base = "/projects/" + pid + "/branches";

        // create with an endpoint, as neonctl does
        Res c = s.post(base, new JsonObject().put("branch", new JsonObject().put("name", "dev-alice").put("parent_id", mainId))
                .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))).put("annotation_value", new JsonObject().put("owner", "alice")));
        assertThat(c.status()).isEqualTo(201);
        JsonObject cj = c.json();
        String dev = cj.getJsonObject("branch").getString("id");
        assertThat(cj.getJsonObject("branch").getString("parent_id")).isEqualTo(mainId);
        assertThat(cj.getJsonObject("branch").getString("current_state")).isEqualTo("init");
        assertThat(cj.getJsonArray("endpoints").size()).isEqualTo(1);
        assertThat(cj.getJsonArray("roles").getJsonObject(0).getString("name")).isEqualTo("neondb_owner");
        assertThat(cj.getJsonArray("databases").getJsonObject(0).getString("name")).isEqualTo("neondb");
        assertThat(cj.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri")).contains("neondb_owner:npg_");
        List<JsonObject> ops = s.awaitOperations(pid, cj.getJsonArray("operations"));
        assertThat(ops.get(0).getString("action")).isEqualTo("create_timeline");
        assertThat(ops.get(0).getString("status")).isEqualTo("finished");

        JsonObject got = ok(s.get(base + "/" + dev)).json();
        assertThat(got.getJsonObject("branch").getString("current_state")).isEqualTo("ready");
        assertThat(got.getJsonObject("branch").getString("parent_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(got.getJsonObject("annotation").getJsonObject("value").getString("owner")).isEqualTo("alice");

        JsonObject list = ok(s.get(base)).json();
        assertThat(ids(list.getJsonArray("branches"))).contains(mainId, dev);
        assertThat(list.getJsonObject("annotations").getJsonObject(dev).getJsonObject("value").getString("owner")).isEqualTo("alice");
        assertThat(ok(s.get(base + "/count")).json().getInteger("count")).isEqualTo(2);
        assertThat(ok(s.get(base + "/count?search=alice")).json().getInteger("count")).isEqualTo(1);
        assertThat(ok(s.get(base + "/" + dev + "/endpoints")).json().getJsonArray("endpoints").size()).isEqualTo(1);

        // branch from an exact LSN and from a timestamp of the parent
        String lsn = got.getJsonObject("branch").getString("parent_lsn");
        JsonObject atLsn = s.createBranch(pid, new JsonObject().put("name", "at-lsn").put("parent_id", mainId).put("parent_lsn", lsn));
        assertThat(ok(s.get(base + "/" + atLsn.getJsonObject("branch").getString("id"))).obj("branch").getString("parent_lsn")).isEqualTo(lsn);
        JsonObject atTime = s.createBranch(pid, new JsonObject().put("name", "at-time").put("parent_id", mainId)
                .put("parent_timestamp", Instant.now().toString()));
        assertThat(atTime.getJsonObject("branch").getString("parent_timestamp")).isNotNull();

        // rename, protect, expiry set (at most 30 days ahead) and clear
        Instant soon = Instant.now().plus(java.time.Duration.ofDays(7)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        JsonObject prot = ok(s.patch(base + "/" + dev, new JsonObject().put("branch", new JsonObject().put("name", "dev-bob")
                .put("protected", true)))).json();
        assertThat(prot.getJsonObject("branch").getString("name")).isEqualTo("dev-bob");
        assertThat(prot.getJsonObject("branch").getBoolean("protected")).isTrue();
        // a protected branch cannot expire
        assertThat(s.patch(base + "/" + dev, new JsonObject().put("branch", new JsonObject().put("expires_at", soon.toString()))).status())
                .isEqualTo(400);
        JsonObject upd = ok(s.patch(base + "/" + dev, new JsonObject().put("branch", new JsonObject()
                .put("protected", false).put("expires_at", soon.toString())))).json();
        assertThat(upd.getJsonObject("branch").getString("expires_at")).isEqualTo(soon.toString());
        JsonObject cleared = ok(s.patch(base + "/" + dev, new JsonObject().put("branch", new JsonObject().put("expires_at", (Object) null)
                .put("protected", false)))).obj("branch");
        assertThat(cleared.containsKey("expires_at")).isFalse();

        // restore (reset to parent) and restore from itself with a preserved copy
        JsonObject restored = ok(s.post(base + "/" + dev + "/restore", new JsonObject().put("source_branch_id", mainId))).json();
        assertThat(restored.getJsonObject("branch").getString("last_reset_at")).isNotNull();
        s.awaitOperations(pid, restored.getJsonArray("operations"));
        JsonObject afterReset = ok(s.get(base + "/" + dev)).obj("branch");
        assertThat(afterReset.getString("current_state")).isEqualTo("ready");
        JsonObject self = ok(s.post(base + "/" + dev + "/restore", new JsonObject().put("source_branch_id", dev)
                .put("source_timestamp", Instant.now().toString()).put("preserve_under_name", "dev-bob-old"))).json();
        s.awaitOperations(pid, self.getJsonArray("operations"));
        JsonObject now = ok(s.get(base + "/" + dev)).obj("branch");
        String keptId = now.getString("parent_id");
        assertThat(ok(s.get(base + "/" + keptId)).obj("branch").getString("name")).isEqualTo("dev-bob-old");

        // set as default, then the old default is an ordinary branch
        JsonObject def = ok(s.post(base + "/" + dev + "/set_as_default", null)).obj("branch");
        assertThat(def.getBoolean("default")).isTrue();
        assertThat(ok(s.get(base + "/" + mainId)).obj("branch").getBoolean("default")).isFalse();
        assertThat(s.delete(base + "/" + dev).status()).isEqualTo(409);  // the default now
        ok(s.post(base + "/" + mainId + "/set_as_default", null));

        // delete: children first
        assertThat(s.delete(base + "/" + keptId).status()).isEqualTo(409);  // dev-bob hangs off it
        JsonObject gone = ok(s.delete(base + "/" + dev)).json();
        assertThat(gone.getJsonArray("operations").stream().map(o -> ((JsonObject) o).getString("action")))
                .containsExactly("delete_compute", "delete_timeline");
        s.awaitOperations(pid, gone.getJsonArray("operations")).forEach(o ->
                assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
        assertThat(s.get(base + "/" + dev).status()).isEqualTo(404);
        // already gone: 204 without a body (Neon), so a destroy after an out-of-band delete succeeds;
        // the soft-deleted branch's roles and databases are gone with it
        assertGone(s.delete(base + "/" + dev));
        assertGone(s.delete(base + "/" + dev + "/roles/neondb_owner"));
        assertGone(s.delete(base + "/" + dev + "/databases/neondb"));
        assertThat(s.delete(base + "/br-never-was-00000000").status()).isEqualTo(404);
        assertThat(ok(s.delete(base + "/" + keptId)).obj("branch").getString("id")).isEqualTo(keptId);
    }

    @Test
    void branchListPaginatesBySortKey() {
        String pid = s.createProject("branch-pages").getJsonObject("project").getString("id");
        List<String> names = new ArrayList<>(List.of("main"));
        for (int i = 0; i < 7; i++) {
            String n = "b-" + (char) ('g' - i);
            names.add(n);
            s.createBranch(pid, new JsonObject().put("name", n));
        }
        names.sort(String::compareTo);
        List<String> seen = new ArrayList<>();
        String next = null;
        for (int page = 0; page < 10; page++) {
            JsonObject j = ok(s.get("/projects/" + pid + "/branches?limit=3&sort_by=name&sort_order=asc" + (next == null ? "" : "&cursor=" + next))).json();
            JsonArray bs = j.getJsonArray("branches");
            for (int i = 0; i < bs.size(); i++) seen.add(bs.getJsonObject(i).getString("name"));
            assertThat(j.getJsonObject("annotations").size()).isEqualTo(bs.size());
            next = j.getJsonObject("pagination").getString("next");
            if (next == null) break;
            assertThat(bs.size()).isEqualTo(3);
        }
        assertThat(seen).isEqualTo(names);

        List<String> byCreated = new ArrayList<>();
        next = null;
        for (int page = 0; page < 10; page++) {
            JsonObject j = ok(s.get("/projects/" + pid + "/branches?limit=2&sort_by=created_at&sort_order=desc" + (next == null ? "" : "&cursor=" + next))).json();
            byCreated.addAll(ids(j.getJsonArray("branches")));
            next = j.getJsonObject("pagination").getString("next");
            if (next == null) break;
        }
        assertThat(byCreated).hasSize(8).doesNotHaveDuplicates();
        assertThat(ids(ok(s.get("/projects/" + pid + "/branches?sort_by=created_at&sort_order=asc")).json().getJsonArray("branches")))
                .isEqualTo(byCreated.reversed());
    }

    @Test
    void endpointLifecycle() {
        JsonObject proj = s.createProject("endpoints");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String mainEp = proj.getJsonArray("endpoints").getJsonObject(0).getString("id");
        String base = "/projects/" + pid + "/endpoints";

        assertThat(s.post(base, new JsonObject().put("endpoint", new JsonObject().put("branch_id", mainId).put("type", "read_write"))).status())
                .isEqualTo(409);
        Res c = s.post(base, new JsonObject().put("endpoint", new JsonObject().put("branch_id", mainId).put("type", "read_only")
                .put("autoscaling_limit_min_cu", 0.5).put("autoscaling_limit_max_cu", 2).put("suspend_timeout_seconds", 600)
                .put("settings", new JsonObject().put("pg_settings", new JsonObject().put("work_mem", "8MB")))));
        assertThat(c.status()).isEqualTo(201);
        JsonObject ep = c.obj("endpoint");
        String ro = ep.getString("id");
        assertThat(ro).matches("ep-[a-z]+-[a-z]+-\\d{8}");
        assertThat(ep.getDouble("autoscaling_limit_max_cu")).isEqualTo(2.0);
        assertThat(ep.getJsonObject("settings").getJsonObject("pg_settings").getString("work_mem")).isEqualTo("8MB");
        assertThat(c.json().getJsonArray("operations").getJsonObject(0).getString("action")).isEqualTo("start_compute");
        s.awaitOperations(pid, c.json().getJsonArray("operations"));

        assertThat(ids(ok(s.get(base)).json().getJsonArray("endpoints"))).containsExactly(mainEp, ro);
        assertThat(ok(s.get(base + "/" + ro)).obj("endpoint").getString("type")).isEqualTo("read_only");
        JsonObject upd = ok(s.patch(base + "/" + ro, new JsonObject().put("endpoint", new JsonObject()
                .put("suspend_timeout_seconds", 300).put("autoscaling_limit_max_cu", 4).put("name", "reporting")))).obj("endpoint");
        assertThat(upd.getInteger("suspend_timeout_seconds")).isEqualTo(300);
        assertThat(upd.getString("name")).isEqualTo("reporting");

        for (String action : List.of("start", "suspend", "restart")) {
            Res t = s.post(base + "/" + ro + "/" + action, null);
            assertThat(t.status()).as(action).isEqualTo(200);
            List<JsonObject> ops = s.awaitOperations(pid, t.json().getJsonArray("operations"));
            assertThat(ops).isNotEmpty();
            JsonObject after = ok(s.get(base + "/" + ro)).obj("endpoint");
            assertThat(after.getString("current_state")).as(action).isEqualTo("idle");  // no compute here: never active
        }
        JsonObject del = ok(s.delete(base + "/" + ro)).json();
        assertThat(del.getJsonArray("operations").getJsonObject(0).getString("action")).isEqualTo("delete_compute");
        assertThat(s.get(base + "/" + ro).status()).isEqualTo(404);
        assertThat(s.post(base + "/" + ro + "/start", null).status()).isEqualTo(404);
        assertGone(s.delete(base + "/" + ro));
        assertThat(s.delete(base + "/ep-never-was-00000000").status()).isEqualTo(404);
    }

    @Test
    void rolesAndDatabases() {
        JsonObject proj = s.createProject("roles");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String roles = "/projects/" + pid + "/branches/" + mainId + "/roles";
        String dbs = "/projects/" + pid + "/branches/" + mainId + "/databases";

        Res c = s.post(roles, new JsonObject().put("role", new JsonObject().put("name", "alice")));
        assertThat(c.status()).isEqualTo(201);
        String pw = c.obj("role").getString("password");
        assertThat(pw).startsWith("npg_");
        assertThat(c.json().getJsonArray("operations").getJsonObject(0).getString("action")).isEqualTo("apply_config");
        JsonArray list = ok(s.get(roles)).json().getJsonArray("roles");
        assertThat(list.stream().map(r -> ((JsonObject) r).getString("name"))).containsExactly("neondb_owner", "alice");
        assertThat(list.getJsonObject(1).containsKey("password")).isFalse();
        assertThat(ok(s.get(roles + "/alice")).obj("role").getString("name")).isEqualTo("alice");
        assertThat(ok(s.get(roles + "/alice/reveal_password")).json().getString("password")).isEqualTo(pw);
        String pw2 = ok(s.post(roles + "/alice/reset_password", null)).obj("role").getString("password");
        assertThat(pw2).isNotEqualTo(pw);
        assertThat(ok(s.get(roles + "/alice/reveal_password")).json().getString("password")).isEqualTo(pw2);
        Res nl = s.post(roles, new JsonObject().put("role", new JsonObject().put("name", "readonly_svc").put("no_login", true)));
        assertThat(nl.status()).isEqualTo(201);
        assertThat(s.get(roles + "/readonly_svc/reveal_password").status()).isEqualTo(412);

        Res d = s.post(dbs, new JsonObject().put("database", new JsonObject().put("name", "appdb").put("owner_name", "alice")));
        assertThat(d.status()).isEqualTo(201);
        assertThat(d.obj("database").getString("owner_name")).isEqualTo("alice");
        assertThat(ok(s.get(dbs)).json().getJsonArray("databases").size()).isEqualTo(2);
        assertThat(ok(s.get(dbs + "/appdb")).obj("database").getString("name")).isEqualTo("appdb");
        assertThat(s.delete(roles + "/alice").status()).isEqualTo(409);  // owns appdb
        JsonObject renamed = ok(s.patch(dbs + "/appdb", new JsonObject().put("database", new JsonObject()
                .put("name", "appdb2").put("owner_name", "neondb_owner")))).obj("database");
        assertThat(renamed.getString("name")).isEqualTo("appdb2");
        assertThat(s.get(dbs + "/appdb").status()).isEqualTo(404);
        assertThat(ok(s.delete(dbs + "/appdb2")).obj("database").getString("name")).isEqualTo("appdb2");
        assertThat(ok(s.delete(roles + "/alice")).obj("role").getString("name")).isEqualTo("alice");
        assertThat(s.get(roles + "/alice").status()).isEqualTo(404);
        // rows are deleted outright: a second delete (or one of a name never created) is "already gone"
        assertGone(s.delete(roles + "/alice"));
        assertGone(s.delete(dbs + "/appdb2"));
        assertThat(s.delete("/projects/" + pid + "/branches/br-never-was-00000000/roles/alice").status()).isEqualTo(404);
        assertThat(s.get(roles).json().getJsonArray("roles").stream().map(r -> ((JsonObject) r).getString("name")))
                .containsExactly("neondb_owner", "readonly_svc");

        // a child branch starts with its parent's roles, databases and passwords
        JsonObject child = s.createBranch(pid, new JsonObject().put("name", "child"));
        String childId = child.getJsonObject("branch").getString("id");
        String ownerPw = proj.getJsonArray("roles").getJsonObject(0).getString("password");
        assertThat(ok(s.get("/projects/" + pid + "/branches/" + childId + "/roles/neondb_owner/reveal_password")).json()
                .getString("password")).isEqualTo(ownerPw);

        JsonObject uri = ok(s.get("/projects/" + pid + "/connection_uri?branch_id=" + mainId + "&database_name=neondb&role_name=neondb_owner")).json();
        assertThat(uri.getString("uri")).startsWith("postgresql://neondb_owner:" + ownerPw + "@").contains("/neondb?")
                .contains(proj.getJsonArray("endpoints").getJsonObject(0).getString("id"));
        assertThat(s.get("/projects/" + pid + "/connection_uri?database_name=neondb&role_name=nobody").status()).isEqualTo(404);
    }

    @Test
    void operationsListAndGet() {
        JsonObject proj = s.createProject("ops");
        String pid = proj.getJsonObject("project").getString("id");
        for (int i = 0; i < 3; i++) s.createBranch(pid, new JsonObject().put("name", "o" + i));
        List<String> all = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 10; page++) {
            JsonObject j = ok(s.get("/projects/" + pid + "/operations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor))).json();
            JsonArray ops = j.getJsonArray("operations");
            all.addAll(ids(ops));
            cursor = j.getJsonObject("pagination").getString("cursor");
            if (ops.size() < 2) break;
        }
        assertThat(all).hasSize(5).doesNotHaveDuplicates();  // create_timeline + start_compute + 3 create_timeline
        JsonObject op = ok(s.get("/projects/" + pid + "/operations/" + all.getFirst())).obj("operation");
        assertThat(op.getString("action")).isEqualTo("create_timeline");
        assertThat(op.getString("status")).isEqualTo("finished");
        assertThat(op.getLong("total_duration_ms")).isGreaterThanOrEqualTo(0);
        assertThat(s.get("/projects/" + pid + "/operations/00000000-0000-0000-0000-000000000000").status()).isEqualTo(404);
    }

    @Test
    void expiredBranchIsDeleted() {
        String pid = s.createProject("expiry").getJsonObject("project").getString("id");
        String id = s.createBranch(pid, new JsonObject().put("name", "short-lived")
                .put("expires_at", Instant.now().plusSeconds(2).toString())).getJsonObject("branch").getString("id");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (s.get("/projects/" + pid + "/branches/" + id).status() == 200) {
            assertThat(System.nanoTime()).as("branch did not expire").isLessThan(deadline);
            TestServer.sleep(250);
        }
        assertThat(s.get("/projects/" + pid + "/branches/" + id).status()).isEqualTo(404);
    }

    /** Rules belong to anonymized branches (AnonymizedBranchTest stores and checks them against a live schema). */
    @Test
    void maskingRulesAreRefusedOnABranchThatIsNotAnonymized() {
        JsonObject proj = s.createProject("masking");
        String pid = proj.getJsonObject("project").getString("id");
        String path = "/projects/" + pid + "/branches/" + proj.getJsonObject("branch").getString("id") + "/masking_rules";
        assertThat(ok(s.get(path)).json().getJsonArray("masking_rules")).isEmpty();
        JsonArray rules = new JsonArray()
                .add(new JsonObject().put("database_name", "neondb").put("schema_name", "public").put("table_name", "users")
                        .put("column_name", "email").put("masking_function", "anon.fake_email()"));
        Res refused = s.patch(path, new JsonObject().put("masking_rules", rules));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().getString("code")).isEqualTo("BAD_REQUEST");
        assertThat(refused.json().getString("message")).contains("is not an anonymized branch").contains("branch_anonymized");
        // shape errors are still reported first, and nothing was stored either way
        Res both = s.patch(path, new JsonObject().put("masking_rules", new JsonArray().add(rules.getJsonObject(0).copy().put("masking_value", "x"))));
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.json().getString("message")).contains("exactly one of masking_function and masking_value");
        assertThat(ok(s.get(path)).json().getJsonArray("masking_rules")).isEmpty();

        // this server has no compute, so rules cannot be checked against a live schema: 503, and no branch is made
        long branches = ok(s.get("/projects/" + pid + "/branches/count")).json().getLong("count");
        Res noCompute = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject().put("masking_rules", rules));
        assertThat(noCompute.status()).as(noCompute.toString()).isEqualTo(503);
        assertThat(noCompute.json().getString("code")).isEqualTo("SERVICE_UNAVAILABLE");
        assertThat(noCompute.json().getString("message")).contains("needs compute");
        assertThat(ok(s.get("/projects/" + pid + "/branches/count")).json().getLong("count")).isEqualTo(branches);
    }

    @Test
    void accountPreludes() {
        JsonObject me = ok(s.get("/users/me")).json();
        assertThat(me.getString("id")).isNotBlank();
        assertThat(me.getInteger("branches_limit")).isPositive();
        assertThat(ok(s.get("/users/me/organizations")).json().getJsonArray("organizations")).isEmpty();
        assertThat(ok(s.get("/auth")).json().getString("auth_method")).isEqualTo("api_key_org");
        assertThat(ok(s.get("/regions")).json().getJsonArray("regions").getJsonObject(0).getString("region_id")).isEqualTo("local");
    }
}
