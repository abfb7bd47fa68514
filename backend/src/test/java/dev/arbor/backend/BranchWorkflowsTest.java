package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5's branch workflows end to end: the HTTP API, the page store and real PostgreSQL endpoints
 * reached through the proxy with psql. Every workflow asserts the rows a client actually sees.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BranchWorkflowsTest {
    private TestServer s;

    @BeforeAll
    void start() throws Exception { s = TestServer.start(c -> c.withQuotas(100, 100, 50), LocalCompute.factory()); }

    @AfterAll
    void stop() throws Exception { if (s != null) s.close(); }

    // ------------------------------------------------------------------ helpers

    record Project(String id, String mainId) {}

    private Project project(String name) {
        JsonObject p = s.createProject(name);
        return new Project(p.getJsonObject("project").getString("id"), p.getJsonObject("branch").getString("id"));
    }

    private String uri(Project p, String branchId) {
        return ok(s.get("/projects/" + p.id() + "/connection_uri?branch_id=" + branchId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
    }

    static String psql(String uri, String sql) throws Exception {
        Process pr = new ProcessBuilder("psql", uri, "-v", "ON_ERROR_STOP=1", "-Atc", sql).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (pr.waitFor() != 0) throw new AssertionError("psql failed: " + out);
        return out;
    }

    /** Creates a branch with a read_write endpoint and waits until it runs. */
    private String branchWithEndpoint(Project p, JsonObject branch) {
        Res r = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", branch)
                .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        awaitFinished(p, r.json().getJsonArray("operations"));
        return r.json().getJsonObject("branch").getString("id");
    }

    /** Adds a read_write endpoint to an existing branch and waits until it runs. */
    private void addEndpoint(Project p, String branchId) {
        Res ep = s.post("/projects/" + p.id() + "/endpoints", new JsonObject().put("endpoint",
                new JsonObject().put("branch_id", branchId).put("type", "read_write")));
        assertThat(ep.status()).as(ep.toString()).isEqualTo(201);
        awaitFinished(p, ep.json().getJsonArray("operations"));
    }

    private void awaitFinished(Project p, JsonArray ops) {
        s.awaitOperations(p.id(), ops).forEach(o -> assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
    }

    private JsonObject branch(Project p, String id) { return ok(s.get("/projects/" + p.id() + "/branches/" + id)).obj("branch"); }

    private JsonObject restore(Project p, String id, JsonObject body) {
        Res r = s.post("/projects/" + p.id() + "/branches/" + id + "/restore", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        awaitFinished(p, r.json().getJsonArray("operations"));
        return r.json();
    }

    /** The store stamps WAL with wall-clock time as it lands; leave clear air on both sides of a mark. */
    private static Instant markBetweenCommits() {
        TestServer.sleep(300);
        Instant t = Instant.now();
        TestServer.sleep(300);
        return t;
    }

    /** Table t: row 1 committed before the returned instant, row 2 after it. */
    private static Instant twoCommitsWithAMarkBetween(String uri) throws Exception {
        psql(uri, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)");
        Instant between = markBetweenCommits();
        psql(uri, "INSERT INTO t VALUES (2)");
        return between;
    }

    // ------------------------------------------------------------------ workflows

    @Test
    void aClientThatConnectsRightAfterCreateWaitsForTheEndpoint() throws Exception {
        // no awaitOperations: the URI from the create response is used at once, as a script would
        Res r = s.post("/projects", new JsonObject().put("project", new JsonObject().put("name", "eager")));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String uri = r.json().getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");
        assertThat(psql(uri, "create table t(x int); insert into t values (1); select count(*) from t")).endsWith("1");

        String pid = r.json().getJsonObject("project").getString("id");
        Res b = s.post("/projects/" + pid + "/branches", new JsonObject().put("branch", new JsonObject().put("name", "eager-child"))
                .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
        assertThat(b.status()).as(b.toString()).isEqualTo(201);
        String childUri = b.json().getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");
        assertThat(psql(childUri, "select count(*) from t")).isEqualTo("1");
    }

    @Test
    void branchAtTimestampBetweenTwoCommitsSeesExactlyTheFirst() throws Exception {
        Project p = project("at-time");
        String main = uri(p, p.mainId());
        Instant between = twoCommitsWithAMarkBetween(main);

        String b = branchWithEndpoint(p, new JsonObject().put("name", "at-ts").put("parent_timestamp", between.toString()));
        assertThat(psql(uri(p, b), "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1");
        assertThat(branch(p, b).getString("parent_timestamp")).isNotNull();
        // the parent still has both, and the branch diverges on its own
        psql(uri(p, b), "INSERT INTO t VALUES (10)");
        assertThat(psql(main, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");

        // at an LSN: branch LSNs are the page store's (a branch reports where it starts as parent_lsn)
        psql(main, "INSERT INTO t VALUES (3)");
        String lsn = branch(p, s.createBranch(p.id(), new JsonObject().put("name", "probe")).getJsonObject("branch").getString("id"))
                .getString("parent_lsn");
        assertThat(lsn).isNotNull();
        psql(main, "INSERT INTO t VALUES (4)");
        String atLsn = branchWithEndpoint(p, new JsonObject().put("name", "at-lsn").put("parent_lsn", lsn));
        assertThat(psql(uri(p, atLsn), "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2,3");
        assertThat(branch(p, atLsn).getString("parent_lsn")).isEqualTo(lsn);

        // from the head: everything
        String head = branchWithEndpoint(p, new JsonObject().put("name", "at-head"));
        assertThat(psql(uri(p, head), "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2,3,4");
    }

    @Test
    void outOfWindowBranchPointsAreRefusedWithTheBounds() {
        Project p = project("window");
        Res before = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                .put("parent_timestamp", Instant.now().minus(30, ChronoUnit.DAYS).toString())));
        assertThat(before.status()).as(before.toString()).isEqualTo(400);
        assertThat(before.json().getString("message")).contains("before the parent's history window (starts at");
        Res future = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                .put("parent_timestamp", Instant.now().plus(1, ChronoUnit.HOURS).toString())));
        assertThat(future.status()).as(future.toString()).isEqualTo(400);
        assertThat(future.json().getString("message")).contains("future");
        Res lsn = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                .put("parent_lsn", "FF/0")));
        assertThat(lsn.status()).as(lsn.toString()).isEqualTo(400);
        assertThat(lsn.json().getString("message")).contains("after the parent's head");
        assertThat(ok(s.get("/projects/" + p.id() + "/branches/count")).json().getInteger("count")).isEqualTo(1);
    }

    @Test
    void resetFromParentKeepsTheConnectionStringAndTakesTheParentsState() throws Exception {
        Project p = project("reset");
        String main = uri(p, p.mainId());
        psql(main, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)");
        String dev = branchWithEndpoint(p, new JsonObject().put("name", "dev"));
        String devUri = uri(p, dev);
        psql(devUri, "INSERT INTO t VALUES (100); CREATE TABLE scratch(y int)");
        psql(main, "INSERT INTO t VALUES (2)");

        JsonObject out = restore(p, dev, new JsonObject().put("source_branch_id", p.mainId()));
        assertThat(out.getJsonObject("branch").getString("id")).isEqualTo(dev);
        assertThat(uri(p, dev)).isEqualTo(devUri);
        assertThat(psql(devUri, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");
        assertThat(psql(devUri, "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'")).isEqualTo("0");
        JsonObject after = branch(p, dev);
        assertThat(after.getString("last_reset_at")).isNotNull();
        assertThat(after.getString("parent_id")).isEqualTo(p.mainId());
        assertThat(after.getString("current_state")).isEqualTo("ready");

        // a branch with children cannot be reset (without keeping its old state)
        String child = s.createBranch(p.id(), new JsonObject().put("name", "dev-child").put("parent_id", dev))
                .getJsonObject("branch").getString("id");
        Res refused = s.post("/projects/" + p.id() + "/branches/" + dev + "/restore", new JsonObject().put("source_branch_id", p.mainId()));
        assertThat(refused.status()).as(refused.toString()).isBetween(400, 499);
        assertThat(refused.json().getString("message")).contains("child branches");
        assertThat(psql(devUri, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");

        // deleting a branch with children: 409 naming the child
        Res del = s.delete("/projects/" + p.id() + "/branches/" + dev);
        assertThat(del.status()).as(del.toString()).isEqualTo(409);
        assertThat(del.json().getString("message")).contains(child);
    }

    @Test
    void restoreToAPointInTimeKeepsTheOldStateAsBackup() throws Exception {
        Project p = project("pitr");
        String main = uri(p, p.mainId());
        psql(main, "CREATE TABLE orders(id int primary key, v text); INSERT INTO orders VALUES (1, 'good')");
        Instant good = markBetweenCommits();
        psql(main, "DELETE FROM orders; INSERT INTO orders VALUES (2, 'bad')");

        JsonObject out = restore(p, p.mainId(), new JsonObject().put("source_branch_id", p.mainId())
                .put("source_timestamp", good.toString()).put("preserve_under_name", "main_old_backup"));
        assertThat(out.getJsonObject("branch").getString("id")).isEqualTo(p.mainId());
        assertThat(uri(p, p.mainId())).isEqualTo(main);
        assertThat(psql(main, "SELECT string_agg(id || v, ',') FROM orders")).isEqualTo("1good");

        // the pre-restore state lives on as the backup branch, which is now the restored branch's parent
        JsonArray all = ok(s.get("/projects/" + p.id() + "/branches")).json().getJsonArray("branches");
        JsonObject backup = all.stream().map(JsonObject.class::cast).filter(b -> b.getString("name").equals("main_old_backup"))
                .findFirst().orElseThrow();
        assertThat(branch(p, p.mainId()).getString("parent_id")).isEqualTo(backup.getString("id"));
        assertThat(branch(p, p.mainId()).getBoolean("default")).isTrue();
        String backupId = backup.getString("id");
        addEndpoint(p, backupId);
        assertThat(psql(uri(p, backupId), "SELECT string_agg(id || v, ',') FROM orders")).isEqualTo("2bad");

        // bad input: before the window, in the future; nothing changes
        Res old = s.post("/projects/" + p.id() + "/branches/" + p.mainId() + "/restore", new JsonObject()
                .put("source_branch_id", p.mainId()).put("source_timestamp", Instant.now().minus(30, ChronoUnit.DAYS).toString())
                .put("preserve_under_name", "x1"));
        assertThat(old.status()).as(old.toString()).isEqualTo(400);
        assertThat(old.json().getString("message")).contains("history window");
        Res future = s.post("/projects/" + p.id() + "/branches/" + p.mainId() + "/restore", new JsonObject()
                .put("source_branch_id", p.mainId()).put("source_timestamp", Instant.now().plus(1, ChronoUnit.HOURS).toString())
                .put("preserve_under_name", "x2"));
        assertThat(future.status()).as(future.toString()).isEqualTo(400);
        assertThat(future.json().getString("message")).contains("future");
        assertThat(ok(s.get("/projects/" + p.id() + "/branches/count")).json().getInteger("count")).isEqualTo(2);
        assertThat(psql(main, "SELECT string_agg(id || v, ',') FROM orders")).isEqualTo("1good");
    }

    @Test
    void protectedBranchesCannotBeDeletedOrResetAndExpiryIsChecked() throws Exception {
        Project p = project("protect");
        String prot = s.createBranch(p.id(), new JsonObject().put("name", "prod-like").put("protected", true))
                .getJsonObject("branch").getString("id");
        Res del = s.delete("/projects/" + p.id() + "/branches/" + prot);
        assertThat(del.status()).as(del.toString()).isEqualTo(409);
        assertThat(del.json().getString("message")).contains("protected");
        Res reset = s.post("/projects/" + p.id() + "/branches/" + prot + "/restore", new JsonObject().put("source_branch_id", p.mainId()));
        assertThat(reset.status()).as(reset.toString()).isEqualTo(409);

        // expires_at: in the past or more than 30 days ahead is refused, with nothing created
        for (Instant bad : new Instant[]{Instant.now().minusSeconds(60), Instant.now().plus(31, ChronoUnit.DAYS)}) {
            Res r = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                    .put("name", "bad-expiry").put("expires_at", bad.toString())));
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.json().getString("message")).contains("expires_at");
        }
        assertThat(ok(s.get("/projects/" + p.id() + "/branches/count")).json().getInteger("count")).isEqualTo(2);

        // rename, then set as default; the old default can then be deleted once it has no children
        ok(s.patch("/projects/" + p.id() + "/branches/" + prot, new JsonObject().put("branch", new JsonObject().put("name", "prod"))));
        assertThat(branch(p, prot).getString("name")).isEqualTo("prod");
        ok(s.post("/projects/" + p.id() + "/branches/" + prot + "/set_as_default", null));
        assertThat(branch(p, prot).getBoolean("default")).isTrue();
        assertThat(branch(p, p.mainId()).getBoolean("default")).isFalse();
    }

    @Test
    void expiredBranchIsDeletedWithItsEndpoint() throws Exception {
        Project p = project("expiry");
        String b = branchWithEndpoint(p, new JsonObject().put("name", "temp")
                .put("expires_at", Instant.now().plusSeconds(3).toString()));
        assertThat(psql(uri(p, b), "SELECT 1")).isEqualTo("1");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (s.get("/projects/" + p.id() + "/branches/" + b).status() != 404) {
            if (System.nanoTime() > deadline) throw new AssertionError("expired branch still there: " + branch(p, b));
            TestServer.sleep(200);
        }
        JsonArray eps = ok(s.get("/projects/" + p.id() + "/endpoints")).json().getJsonArray("endpoints");
        assertThat(eps.stream().map(JsonObject.class::cast).map(e -> e.getString("branch_id"))).doesNotContain(b);
    }

    @Test
    void schemaOnlyBranchHasTheParentsSchemaAndNoRows() throws Exception {
        Project p = project("schema-only");
        String main = uri(p, p.mainId());
        psql(main, "CREATE EXTENSION citext; CREATE TYPE mood AS ENUM ('ok', 'sad');"
                + " CREATE TABLE people(id serial primary key, email citext unique, m mood not null);"
                + " CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) $$;"
                + " CREATE VIEW sad_people AS SELECT * FROM people WHERE m = 'sad';"
                + " CREATE ROLE app_reader NOLOGIN; GRANT SELECT ON people TO app_reader;"
                + " INSERT INTO people(email, m) SELECT 'u' || g || '@x', 'ok' FROM generate_series(1, 500) g");

        String b = branchWithEndpoint(p, new JsonObject().put("name", "schema").put("init_source", "schema-only"));
        String bu = uri(p, b);
        assertThat(psql(bu, "SELECT count(*) FROM people")).isEqualTo("0");
        assertThat(psql(bu, "SELECT count(*) FROM sad_people")).isEqualTo("0");
        assertThat(psql(bu, "SELECT shout('hi')")).isEqualTo("HI");
        assertThat(psql(bu, "SELECT string_agg(e::text, ',' ORDER BY e) FROM unnest(enum_range(NULL::mood)) e")).isEqualTo("ok,sad");
        assertThat(psql(bu, "SELECT extname FROM pg_extension WHERE extname = 'citext'")).isEqualTo("citext");
        assertThat(psql(bu, "SELECT has_table_privilege('app_reader', 'people', 'SELECT')")).isEqualTo("t");
        // usable: the sequence starts over, constraints hold, the owner writes
        psql(bu, "INSERT INTO people(email, m) VALUES ('A@x', 'sad')");
        assertThat(psql(bu, "SELECT id || ' ' || email FROM sad_people")).isEqualTo("1 A@x");
        assertThat(psql(main, "SELECT count(*) FROM people")).isEqualTo("500");

        JsonObject br = branch(p, b);
        assertThat(br.getString("init_source")).isEqualTo("schema-only");
        assertThat(br.containsKey("parent_id")).as(br.encode()).isFalse();
        Res reset = s.post("/projects/" + p.id() + "/branches/" + b + "/restore", new JsonObject().put("source_branch_id", p.mainId()));
        assertThat(reset.status()).as(reset.toString()).isEqualTo(400);
        assertThat(reset.json().getString("message")).contains("root branch");
        assertThat(psql(bu, "SELECT count(*) FROM people")).isEqualTo("1");
        // a root branch (the project's first) cannot be reset either
        Res root = s.post("/projects/" + p.id() + "/branches/" + p.mainId() + "/restore", new JsonObject().put("source_branch_id", b));
        assertThat(root.status()).as(root.toString()).isEqualTo(400);
        assertThat(psql(main, "SELECT count(*) FROM people")).isEqualTo("500");

        Res unknown = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                .put("init_source", "schema-only").put("parent_id", "br-no-such-1")));
        assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
        assertThat(unknown.json().getString("message")).contains("br-no-such-1");
    }

    /** docs/recipes/agent-checkpoints.md, step by step. */
    @Test
    void agentCheckpointsRollBackAndPromote() throws Exception {
        Project p = project("agent");
        String main = uri(p, p.mainId());
        psql(main, "CREATE TABLE accounts(id int primary key, owner text); INSERT INTO accounts VALUES (1,'a'),(2,'b'),(3,'c')");
        String cp1 = s.createBranch(p.id(), new JsonObject().put("name", "checkpoint-1")).getJsonObject("branch").getString("id");
        psql(main, "INSERT INTO accounts VALUES (4,'d')");
        String cp2 = s.createBranch(p.id(), new JsonObject().put("name", "checkpoint-2")).getJsonObject("branch").getString("id");

        // the risky migration goes wrong
        psql(main, "ALTER TABLE accounts DROP COLUMN owner; DELETE FROM accounts WHERE id > 1");
        assertThat(psql(main, "SELECT count(*) FROM accounts")).isEqualTo("1");

        // roll back: main takes checkpoint-2's state, same connection string, the failed state kept
        restore(p, p.mainId(), new JsonObject().put("source_branch_id", cp2).put("preserve_under_name", "main-failed-migration"));
        assertThat(uri(p, p.mainId())).isEqualTo(main);
        assertThat(psql(main, "SELECT string_agg(id || owner, ',' ORDER BY id) FROM accounts")).isEqualTo("1a,2b,3c,4d");

        // promote the earlier checkpoint: it becomes the project's default branch
        ok(s.post("/projects/" + p.id() + "/branches/" + cp1 + "/set_as_default", null));
        assertThat(branch(p, cp1).getBoolean("default")).isTrue();
        assertThat(branch(p, p.mainId()).getBoolean("default")).isFalse();
        addEndpoint(p, cp1);
        assertThat(psql(uri(p, cp1), "SELECT string_agg(id || owner, ',' ORDER BY id) FROM accounts")).isEqualTo("1a,2b,3c");
    }

    @Test
    void consumptionReportsPerBranchUsageFromTheStore() throws Exception {
        Project p = project("usage");
        String main = uri(p, p.mainId());
        psql(main, "CREATE TABLE big(id int primary key, pad text); INSERT INTO big SELECT g, repeat('x', 500) FROM generate_series(1, 20000) g");
        String dev = branchWithEndpoint(p, new JsonObject().put("name", "dev"));
        psql(uri(p, dev), "UPDATE big SET pad = repeat('y', 500) WHERE id <= 200");

        JsonObject c = ok(s.get("/projects/" + p.id() + "/consumption")).json();
        JsonObject m = usageOf(c, p.mainId());
        JsonObject d = usageOf(c, dev);
        // the table is ~10 MB; both branches present it, but the child owns only what it changed
        assertThat(m.getLong("logical_size")).isGreaterThan(10_000_000L);
        assertThat(d.getLong("logical_size")).isGreaterThan(10_000_000L);
        assertThat(m.getLong("written_data_bytes")).isGreaterThan(10_000_000L);
        assertThat(d.getLong("written_data_bytes")).isPositive().isLessThan(m.getLong("written_data_bytes"));
        // ...a small share (measured 0.7 MB of 66 MB): the running parent was checkpointed before the branch was
        // taken, so the child's crash recovery did not replay (and write back) the 10 MB bulk load
        assertThat(d.getLong("physical_size_unique_bytes")).isPositive().isLessThan(m.getLong("physical_size_unique_bytes") / 4)
                .isLessThan(5_000_000L);
        assertThat(c.getJsonObject("totals").getLong("physical_size_bytes"))
                .isEqualTo(m.getLong("physical_size_unique_bytes") + d.getLong("physical_size_unique_bytes"));
        assertThat(s.get("/projects/no-such-project-1/consumption").status()).isEqualTo(404);
    }

    private static JsonObject usageOf(JsonObject consumption, String branchId) {
        return consumption.getJsonArray("branches").stream().map(JsonObject.class::cast)
                .filter(b -> b.getString("branch_id").equals(branchId)).findFirst().orElseThrow();
    }

    @Test
    void childrenOfAProtectedBranchGetNewPasswords() throws Exception {
        Project p = project("protected-pw");
        ok(s.patch("/projects/" + p.id() + "/branches/" + p.mainId(), new JsonObject().put("branch", new JsonObject().put("protected", true))));
        String parentUri = uri(p, p.mainId());
        String child = branchWithEndpoint(p, new JsonObject().put("name", "from-protected"));
        String childUri = uri(p, child);
        String parentPw = parentUri.replaceAll("^postgresql://[^:]+:([^@]+)@.*$", "$1");
        String childPw = childUri.replaceAll("^postgresql://[^:]+:([^@]+)@.*$", "$1");
        assertThat(childPw).isNotEqualTo(parentPw);
        assertThat(psql(childUri, "SELECT current_user")).isEqualTo("neondb_owner");
        // the parent's password does not open the child
        String withParentPw = childUri.replace(":" + childPw + "@", ":" + parentPw + "@");
        Process pr = new ProcessBuilder("psql", withParentPw, "-Atc", "SELECT 1").redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(pr.waitFor()).as(out).isNotZero();
        assertThat(out).contains("password authentication failed");
    }

    @Test
    void theSixthProtectedBranchIsRefusedWithNoStateChange() {
        Project p = project("protect-limit");  // the server runs with the default limit of 5
        for (int i = 0; i < 5; i++) {
            s.createBranch(p.id(), new JsonObject().put("name", "prot-" + i).put("protected", true));
        }
        Res sixth = s.post("/projects/" + p.id() + "/branches", new JsonObject().put("branch", new JsonObject()
                .put("name", "prot-5").put("protected", true)));
        assertThat(sixth.status()).as(sixth.toString()).isEqualTo(422);
        assertThat(sixth.json().getString("code")).isEqualTo("PROTECTED_BRANCHES_LIMIT_EXCEEDED");
        assertThat(sixth.json().getString("message")).contains("5 protected branches");
        assertThat(ok(s.get("/projects/" + p.id() + "/branches/count")).json().getInteger("count")).isEqualTo(6);
        // protecting an existing branch is refused the same way, and it stays unprotected
        Res patch = s.patch("/projects/" + p.id() + "/branches/" + p.mainId(), new JsonObject().put("branch",
                new JsonObject().put("protected", true).put("name", "renamed")));
        assertThat(patch.status()).as(patch.toString()).isEqualTo(422);
        assertThat(branch(p, p.mainId()).getBoolean("protected")).isFalse();
        assertThat(branch(p, p.mainId()).getString("name")).isNotEqualTo("renamed");
        // unprotecting one frees a slot
        String first = ok(s.get("/projects/" + p.id() + "/branches?search=prot-0")).json().getJsonArray("branches").getJsonObject(0).getString("id");
        ok(s.patch("/projects/" + p.id() + "/branches/" + first, new JsonObject().put("branch", new JsonObject().put("protected", false))));
        ok(s.patch("/projects/" + p.id() + "/branches/" + p.mainId(), new JsonObject().put("branch", new JsonObject().put("protected", true))));
        assertThat(branch(p, p.mainId()).getBoolean("protected")).isTrue();
    }

    @Test
    void restoreToAPointInTimeWithoutANameKeepsATimestampedBackupAndAnUndoIsAReset() throws Exception {
        Project p = project("pitr-auto");
        String main = uri(p, p.mainId());
        Instant good = twoCommitsWithAMarkBetween(main);
        String mainName = branch(p, p.mainId()).getString("name");

        JsonObject out = restore(p, p.mainId(), new JsonObject().put("source_branch_id", p.mainId()).put("source_timestamp", good.toString()));
        assertThat(psql(main, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1");
        assertThat(uri(p, p.mainId())).isEqualTo(main);
        String backupName = out.getJsonObject("preserved_branch").getString("name");
        assertThat(backupName).matches(java.util.regex.Pattern.quote(mainName) + "_old_\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ(_\\d+)?");
        JsonObject backup = ok(s.get("/projects/" + p.id() + "/branches?search=" + backupName)).json().getJsonArray("branches").getJsonObject(0);
        String backupId = backup.getString("id");
        assertThat(branch(p, p.mainId()).getString("parent_id")).isEqualTo(backupId);
        // the backup holds the state from just before the restore
        addEndpoint(p, backupId);
        assertThat(psql(uri(p, backupId), "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");

        // undo = reset from the backup (its parent now): main is back to 1,2 with the same connection string;
        // a plain reset keeps no further backup
        psql(main, "INSERT INTO t VALUES (3)");
        restore(p, p.mainId(), new JsonObject().put("source_branch_id", backupId));
        assertThat(psql(main, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");
        assertThat(uri(p, p.mainId())).isEqualTo(main);
        assertThat(ok(s.get("/projects/" + p.id() + "/branches/count")).json().getInteger("count")).isEqualTo(2);
    }

    @Test
    void computeTimeCountsActiveEndpointTimeOnlyAndSurvivesTheEndpoint() throws Exception {
        Project p = project("compute-time");
        String main = uri(p, p.mainId());
        assertThat(psql(main, "SELECT 1")).isEqualTo("1");
        String ep = ok(s.get("/projects/" + p.id() + "/branches/" + p.mainId() + "/endpoints")).json().getJsonArray("endpoints")
                .getJsonObject(0).getString("id");
        // the running interval counts while the endpoint is active (0.25 CU: 4 s active = 1 CU-second)
        long v0 = awaitComputeTime(p, 1, 4);
        s.awaitOperations(p.id(), ok(s.post("/projects/" + p.id() + "/endpoints/" + ep + "/suspend", new JsonObject()))
                .json().getJsonArray("operations"));
        long v1 = branch(p, p.mainId()).getLong("active_time_seconds");
        assertThat(v1).isGreaterThanOrEqualTo(v0);
        JsonObject c = ok(s.get("/projects/" + p.id() + "/consumption")).json();
        assertThat(usageOf(c, p.mainId()).getLong("active_time_seconds")).isEqualTo(v1);
        assertThat(usageOf(c, p.mainId()).getLong("compute_time_seconds")).isPositive().isLessThanOrEqualTo(v1);
        assertThat(c.getJsonObject("totals").getLong("active_time_seconds")).isGreaterThanOrEqualTo(v1);
        // suspended: the clock stops
        TestServer.sleep(2_100);
        assertThat(branch(p, p.mainId()).getLong("active_time_seconds")).isEqualTo(v1);

        // woken by a connection: it grows again
        assertThat(psql(main, "SELECT 2")).isEqualTo("2");
        long v2 = awaitComputeTime(p, v1 + 2, 0);
        assertThat(v2).isGreaterThan(v1);
        // deleting the endpoint keeps what it used on the branch
        s.awaitOperations(p.id(), ok(s.delete("/projects/" + p.id() + "/endpoints/" + ep)).json().getJsonArray("operations"));
        long v3 = branch(p, p.mainId()).getLong("active_time_seconds");
        assertThat(v3).isGreaterThanOrEqualTo(v2);
        TestServer.sleep(1_100);
        assertThat(branch(p, p.mainId()).getLong("active_time_seconds")).isEqualTo(v3);
    }

    /** Waits until the branch reports at least these active seconds and compute-unit seconds; returns the active seconds. */
    private long awaitComputeTime(Project p, long active, long computeUnits) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            JsonObject b = branch(p, p.mainId());
            if (b.getLong("active_time_seconds") >= active && b.getLong("compute_time_seconds") >= computeUnits) {
                return b.getLong("active_time_seconds");
            }
            if (System.nanoTime() > deadline) throw new AssertionError("compute time did not reach " + active + "/" + computeUnits + ": " + b);
            TestServer.sleep(200);
        }
    }
}
