package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import dev.arbor.storage.TimelineId;
import dev.arbor.storage.TimelineInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 7 end to end: an anonymized branch created over the HTTP API is filled by the masking engine from
 * real PostgreSQL endpoints; clients read it through the proxy with psql, and the page store itself is
 * scanned to prove no source PII ever reached the branch's timeline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnonymizedBranchTest {
    private static final int CUSTOMERS = 40;
    private TestServer s;

    @BeforeAll
    void start() throws Exception { s = TestServer.start(c -> c.withQuotas(100, 100, 50), LocalCompute.factory()); }

    @AfterAll
    void stop() throws Exception { if (s != null) s.close(); }

    private String uri(String projectId, String branchId) {
        return ok(s.get("/projects/" + projectId + "/connection_uri?branch_id=" + branchId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
    }

    private static String psql(String uri, String sql) throws Exception {
        return BranchWorkflowsTest.psql(uri, sql);
    }

    private static String pii(int i) { return "piiZq" + i + "xVv"; }

    private static JsonObject rule(String table, String column, String fn, String value) {
        JsonObject r = new JsonObject().put("database_name", "neondb").put("schema_name", "public").put("table_name", table)
                .put("column_name", column);
        return fn != null ? r.put("masking_function", fn) : r.put("masking_value", value);
    }

    private static JsonArray rules() {
        return new JsonArray()
                .add(rule("customers", "email", "anon.dummy_free_email()", null))
                .add(rule("customers", "full_name", "anon.dummy_first_name()", null))
                .add(rule("orders", "note", null, "'REDACTED'"));
    }

    private JsonObject awaitState(String projectId, String branchId, String state) {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (true) {
            JsonObject st = ok(s.get("/projects/" + projectId + "/branches/" + branchId + "/anonymized_status")).json();
            if (st.getString("state").equals(state)) return st;
            if (st.getString("state").equals("error") || System.nanoTime() > deadline) throw new AssertionError("anonymization: " + st.encode());
            TestServer.sleep(100);
        }
    }

    /** How many of {@code needles} occur in any version the timeline can reach (every LSN of its window and ancestors). */
    private Set<String> piiIn(TimelineId tl, List<String> needles) {
        Set<String> found = new HashSet<>();
        s.server.store().timeline(tl).forEachVersion(v -> {
            if (v.value() == null) return;
            String text = new String(v.value(), StandardCharsets.ISO_8859_1);
            for (String n : needles) if (text.contains(n)) found.add(n);
        });
        return found;
    }

    @Test
    void anonymizedBranchHoldsMaskedDataOnlyAndKeepsJoinsAndUniqueness() throws Exception {
        JsonObject proj = s.createProject("anon-e2e");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String main = uri(pid, mainId);
        psql(main, """
                CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, full_name text NOT NULL);
                CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), note text);
                INSERT INTO customers SELECT i, 'piiZq' || i || 'xVv@corp.example', 'Name piiZq' || i || 'xVv' FROM generate_series(1, %d) i;
                INSERT INTO orders (customer_id, note) SELECT 1 + (i %% %d), 'ship to piiZq' || (1 + (i %% %d)) || 'xVv' FROM generate_series(1, 100) i;
                """.formatted(CUSTOMERS, CUSTOMERS, CUSTOMERS));
        List<String> needles = new ArrayList<>();
        for (int i = 1; i <= CUSTOMERS; i++) needles.add(pii(i));

        Res r = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject()
                .put("branch_create", new JsonObject().put("branch", new JsonObject().put("name", "masked"))
                        .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))))
                .put("masking_rules", rules()).put("start_anonymization", true));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String anonId = r.json().getJsonObject("branch").getString("id");
        assertThat(r.json().getJsonArray("operations").stream().map(o -> ((JsonObject) o).getString("action")))
                .contains("anonymize_branch");
        s.awaitOperations(pid, r.json().getJsonArray("operations"))
                .forEach(o -> assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
        JsonObject st = awaitState(pid, anonId, "anonymized");
        Instant firstRun = Instant.now();
        assertThat(st.getString("source_branch_id")).isEqualTo(mainId);
        assertThat(st.getJsonObject("last_run").getString("status")).isEqualTo("finished");
        assertThat(ok(s.get("/projects/" + pid + "/branches/" + anonId + "/masking_rules")).json().getJsonArray("masking_rules"))
                .isEqualTo(rules());

        // what a client sees through the proxy
        String anon = uri(pid, anonId);
        assertThat(psql(anon, "SELECT count(*) FROM customers")).isEqualTo(String.valueOf(CUSTOMERS));
        assertThat(psql(anon, "SELECT count(*) FROM orders")).isEqualTo("100");
        assertThat(psql(anon, "SELECT count(*) FROM customers WHERE email LIKE '%piiZq%' OR full_name LIKE '%piiZq%'")).isEqualTo("0");
        assertThat(psql(anon, "SELECT count(*) FROM orders WHERE note <> 'REDACTED'")).isEqualTo("0");
        assertThat(psql(anon, "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id")).isEqualTo("100");
        assertThat(psql(anon, "SELECT count(DISTINCT email) FROM customers")).isEqualTo(String.valueOf(CUSTOMERS));
        assertThat(psql(main, "SELECT count(*) FROM customers WHERE email LIKE '%piiZq%'")).isEqualTo(String.valueOf(CUSTOMERS));

        // PII isolation at the storage layer: every version reachable from the branch's timeline
        TimelineId anonTl = new TimelineId(st.getString("timeline_id"));
        assertThat(piiIn(anonTl, needles)).as("source PII in the anonymized branch's timeline").isEmpty();
        // ...and the same scan does find it in the source (so the check above cannot pass vacuously)
        Set<String> inSource = new HashSet<>();
        for (TimelineInfo t : s.server.store().timelines()) {
            if (!t.id().equals(anonTl)) inSource.addAll(piiIn(t.id(), needles));
        }
        assertThat(inSource).as("the scan finds the PII in main's timeline").isNotEmpty();

        // a child of the anonymized branch sees masked data only
        Res child = s.post("/projects/" + pid + "/branches", new JsonObject()
                .put("branch", new JsonObject().put("name", "masked-child").put("parent_id", anonId))
                .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
        assertThat(child.status()).as(child.toString()).isEqualTo(201);
        s.awaitOperations(pid, child.json().getJsonArray("operations"));
        String childUri = uri(pid, child.json().getJsonObject("branch").getString("id"));
        assertThat(psql(childUri, "SELECT count(*) FROM customers WHERE email NOT LIKE '%piiZq%'")).isEqualTo(String.valueOf(CUSTOMERS));

        // restore/reset are refused
        Res restore = s.post("/projects/" + pid + "/branches/" + anonId + "/restore",
                new JsonObject().put("source_branch_id", mainId).put("preserve_under_name", "backup"));
        assertThat(restore.status()).as(restore.toString()).isEqualTo(400);
        assertThat(restore.json().getString("message")).contains("cannot restore anonymized branches");
        // ...and so are a reset to the source (its parent) and a time-travel restore of the branch onto itself
        Res reset = s.post("/projects/" + pid + "/branches/" + anonId + "/restore", new JsonObject().put("source_branch_id", mainId));
        assertThat(reset.status()).as(reset.toString()).isEqualTo(400);
        assertThat(reset.json().getString("message")).contains("cannot restore anonymized branches");
        Res selfRestore = s.post("/projects/" + pid + "/branches/" + anonId + "/restore", new JsonObject()
                .put("source_branch_id", anonId).put("source_timestamp", firstRun.toString()).put("preserve_under_name", "pre-travel"));
        assertThat(selfRestore.status()).as(selfRestore.toString()).isEqualTo(400);
        assertThat(selfRestore.json().getString("message")).contains("cannot restore anonymized branches");

        // a rerun re-derives from the source's current head
        psql(main, "INSERT INTO customers VALUES (1000, 'piiZq1000xVv@corp.example', 'late piiZq1000xVv')");
        Res rerun = s.post("/projects/" + pid + "/branches/" + anonId + "/anonymize", null);
        assertThat(rerun.status()).as(rerun.toString()).isEqualTo(200);
        // while the job runs the branch refuses: the proxy with a Postgres error, the API's endpoint start with 423
        String epId = ok(s.get("/projects/" + pid + "/branches/" + anonId + "/endpoints")).json().getJsonArray("endpoints")
                .getJsonObject(0).getString("id");
        Res start = s.post("/projects/" + pid + "/endpoints/" + epId + "/start", null);
        assertThat(start.status()).as(start.toString()).isEqualTo(423);
        boolean refused = false;
        while (!refused && !ok(s.get("/projects/" + pid + "/branches/" + anonId + "/anonymized_status")).json()
                .getString("state").equals("anonymized")) {
            try {
                psql(anon, "SELECT 1");
            } catch (AssertionError e) {
                assertThat(e.getMessage()).contains("is being anonymized");
                refused = true;
            }
            TestServer.sleep(50);
        }
        assertThat(refused).as("a connection during the job was refused").isTrue();
        s.awaitOperations(pid, rerun.json().getJsonArray("operations"))
                .forEach(o -> assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
        awaitState(pid, anonId, "anonymized");
        assertThat(psql(anon, "SELECT count(*) FROM customers")).isEqualTo(String.valueOf(CUSTOMERS + 1));
        assertThat(psql(anon, "SELECT count(*) FROM customers WHERE email LIKE '%piiZq%' OR full_name LIKE '%piiZq%'")).isEqualTo("0");
        assertThat(piiIn(anonTl, List.of("piiZq1000xVv"))).isEmpty();

        // time travel: a branch of the anonymized branch as it was after the first run holds that run's masked rows
        Res travel = s.post("/projects/" + pid + "/branches", new JsonObject()
                .put("branch", new JsonObject().put("name", "masked-travel").put("parent_id", anonId)
                        .put("parent_timestamp", firstRun.toString()))
                .put("endpoints", new JsonArray().add(new JsonObject().put("type", "read_write"))));
        assertThat(travel.status()).as(travel.toString()).isEqualTo(201);
        s.awaitOperations(pid, travel.json().getJsonArray("operations"))
                .forEach(o -> assertThat(o.getString("status")).as(o.encode()).isEqualTo("finished"));
        String travelUri = uri(pid, travel.json().getJsonObject("branch").getString("id"));
        assertThat(psql(travelUri, "SELECT count(*) FROM customers")).isEqualTo(String.valueOf(CUSTOMERS));
        assertThat(psql(travelUri, "SELECT count(*) FROM customers WHERE email LIKE '%piiZq%' OR full_name LIKE '%piiZq%'")).isEqualTo("0");
        assertThat(psql(travelUri, "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id")).isEqualTo("100");
        // a time-travel connection (Neon's neon_timestamp option, routed by branch id) reads the same masked past
        String travelQuery = anon.replaceFirst("options=endpoint%3D[^&]*", "options=endpoint%3D" + anonId + "%20neon_timestamp%3A"
                + java.net.URLEncoder.encode(firstRun.toString(), StandardCharsets.UTF_8));
        assertThat(travelQuery).contains("neon_timestamp");
        assertThat(psql(travelQuery, "SELECT count(*) FROM customers")).isEqualTo(String.valueOf(CUSTOMERS));
        assertThat(psql(travelQuery, "SELECT count(*) FROM customers WHERE email LIKE '%piiZq%' OR full_name LIKE '%piiZq%'")).isEqualTo("0");
        // ...and no version reachable from any descendant timeline of the branch (children, time travel) holds PII
        List<String> all = new ArrayList<>(needles);
        all.add("piiZq1000xVv");
        List<TimelineId> descendants = descendants(anonTl);
        assertThat(descendants).as("the child and the time-travel branch").hasSizeGreaterThanOrEqualTo(2);
        for (TimelineId d : descendants) assertThat(piiIn(d, all)).as("source PII in descendant " + d).isEmpty();
    }

    /** Every timeline whose ancestry includes {@code root}. */
    private List<TimelineId> descendants(TimelineId root) {
        List<TimelineInfo> all = s.server.store().timelines();
        List<TimelineId> out = new ArrayList<>();
        Set<TimelineId> frontier = new HashSet<>(Set.of(root));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (TimelineInfo t : all) {
                if (t.ancestor() != null && frontier.contains(t.ancestor()) && frontier.add(t.id())) {
                    out.add(t.id());
                    grew = true;
                }
            }
        }
        return out;
    }

    /** Rules are checked when stored; a source whose schema changed since then fails the job with the problem. */
    @Test
    void rulesThatNoLongerFitTheSourceEndInErrorWithTheProblem() throws Exception {
        JsonObject proj = s.createProject("anon-misfit");
        String pid = proj.getJsonObject("project").getString("id");
        String main = uri(pid, proj.getJsonObject("branch").getString("id"));
        psql(main, "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, phone text)");
        Res r = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject()
                .put("masking_rules", new JsonArray().add(rule("customers", "phone", "anon.partial(phone, 2, $$***$$, 2)", null))));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String id = r.json().getJsonObject("branch").getString("id");
        s.awaitOperations(pid, r.json().getJsonArray("operations"));
        psql(main, "ALTER TABLE customers DROP COLUMN phone");
        Res run = s.post("/projects/" + pid + "/branches/" + id + "/anonymize", null);
        assertThat(run.status()).as(run.toString()).isEqualTo(200);
        s.awaitOperations(pid, run.json().getJsonArray("operations"));
        JsonObject st = ok(s.get("/projects/" + pid + "/branches/" + id + "/anonymized_status")).json();
        assertThat(st.getString("state")).as(st.encode()).isEqualTo("error");
        assertThat(st.getString("status_message")).contains("phone").contains("does not exist");
        assertThat(st.getString("failed_at")).isNotNull();
        assertThat(st.getJsonObject("last_run").getString("status")).isEqualTo("failed");
    }

    /**
     * Each bad rule is a 400 naming the rule, checked against the source's live schema, and nothing is stored:
     * PATCH leaves the rules as they were, POST branch_anonymized creates no branch.
     */
    @Test
    void rulesAreCheckedAgainstTheLiveSourceSchemaAndARefusalStoresNothing() throws Exception {
        JsonObject proj = s.createProject("anon-check");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        psql(uri(pid, mainId), """
                CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, age int, full_name text NOT NULL);
                CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), note text NOT NULL);
                """);
        JsonArray good = new JsonArray().add(rule("customers", "email", "anon.dummy_free_email()", null));
        Res created = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject().put("masking_rules", good));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String anonId = created.json().getJsonObject("branch").getString("id");
        s.awaitOperations(pid, created.json().getJsonArray("operations"));
        int timelinesBefore = s.server.store().timelines().size();
        String path = "/projects/" + pid + "/branches/" + anonId + "/masking_rules";
        JsonArray valid = new JsonArray().add(rule("customers", "email", "anon.hash(email)", null))
                .add(rule("customers", "age", "anon.random_int_between(18, 90)", null))
                .add(rule("orders", "note", null, "'REDACTED'"));
        assertThat(ok(s.patch(path, new JsonObject().put("masking_rules", valid))).json().getJsonArray("masking_rules")).isEqualTo(valid);

        record Bad(String what, JsonObject rule, List<String> message) {}
        List<Bad> cases = List.of(
                new Bad("unknown database", rule("customers", "email", "anon.fake_email()", null).put("database_name", "nodb"),
                        List.of("masking_rules[0].database_name", "database nodb does not exist")),
                new Bad("unknown schema", rule("customers", "email", "anon.fake_email()", null).put("schema_name", "crm"),
                        List.of("masking_rules[0].schema_name", "schema crm does not exist in database neondb")),
                new Bad("unknown table", rule("clients", "email", "anon.fake_email()", null),
                        List.of("masking_rules[0].table_name", "table public.clients does not exist")),
                new Bad("unknown column", rule("customers", "mail", "anon.fake_email()", null),
                        List.of("masking_rules[0].column_name", "column \"mail\" does not exist in table public.customers")),
                new Bad("unknown function", rule("customers", "email", "anon.fake_mail()", null),
                        List.of("masking_rules[0].masking_function", "unknown masking function anon.fake_mail()")),
                new Bad("wrong arity", rule("customers", "age", "anon.random_int_between(18)", null),
                        List.of("masking_rules[0].masking_function", "anon.random_int_between() expects 2 arguments but got 1")),
                new Bad("wrong argument type", rule("customers", "age", "anon.random_int_between('young', 90)", null),
                        List.of("masking_rules[0].masking_function", "argument 1", "anon.random_int_between()")),
                new Bad("result type does not fit the column", rule("customers", "age", "anon.fake_email()", null),
                        List.of("masking_rules[0].masking_function", "returns text but column age is integer")),
                new Bad("constant of the wrong type", rule("customers", "age", null, "'old'"),
                        List.of("masking_rules[0].masking_value", "'old' is not a valid integer")),
                new Bad("foreign key column", rule("orders", "customer_id", "anon.random_int_between(1, 10)", null),
                        List.of("masking_rules[0].masking_function", "customer_id is a foreign key column",
                                "Mask public.customers.id instead", "so the join keeps matching")),
                new Bad("NULL value on NOT NULL", rule("orders", "note", null, "NULL"),
                        List.of("masking_rules[0].masking_value", "cannot mask NOT NULL column note with NULL")),
                new Bad("JSON null masking_value on NOT NULL", rule("orders", "note", null, null),
                        List.of("masking_rules[0].masking_value", "cannot mask NOT NULL column note with NULL")),
                new Bad("NULL function on NOT NULL", rule("customers", "full_name", "NULL", null),
                        List.of("masking_rules[0].masking_function", "cannot mask NOT NULL column full_name with NULL")));
        for (Bad b : cases) {
            Res r = s.patch(path, new JsonObject().put("masking_rules", new JsonArray().add(b.rule())));
            assertThat(r.status()).as(b.what() + ": " + r).isEqualTo(400);
            assertThat(r.json().getString("code")).isEqualTo("BAD_REQUEST");
            assertThat(r.json().getString("message")).as(b.what()).startsWith("invalid masking rules: ").contains(b.message());
            assertThat(ok(s.get(path)).json().getJsonArray("masking_rules")).as(b.what() + ": stored rules unchanged").isEqualTo(valid);
        }
        // every problem of a rule set is reported, each with its rule's index
        Res two = s.patch(path, new JsonObject().put("masking_rules", new JsonArray().add(valid.getJsonObject(0))
                .add(rule("customers", "mail", "anon.fake_email()", null)).add(rule("orders", "note", null, "NULL"))));
        assertThat(two.status()).isEqualTo(400);
        assertThat(two.json().getString("message")).contains("masking_rules[1].column_name").contains("masking_rules[2].masking_value");
        assertThat(ok(s.get(path)).json().getJsonArray("masking_rules")).isEqualTo(valid);

        // POST branch_anonymized checks the same way and creates nothing on a 400
        long branches = ok(s.get("/projects/" + pid + "/branches/count")).json().getLong("count");
        Res post = s.post("/projects/" + pid + "/branch_anonymized", new JsonObject()
                .put("branch_create", new JsonObject().put("branch", new JsonObject().put("name", "refused")))
                .put("masking_rules", new JsonArray().add(rule("orders", "customer_id", "anon.hash(customer_id)", null)))
                .put("start_anonymization", true));
        assertThat(post.status()).as(post.toString()).isEqualTo(400);
        assertThat(post.json().getString("message")).contains("foreign key column").contains("Mask public.customers.id instead");
        assertThat(ok(s.get("/projects/" + pid + "/branches/count")).json().getLong("count")).isEqualTo(branches);
        assertThat(s.get("/projects/" + pid + "/branches?search=refused").json().getJsonArray("branches")).isEmpty();

        // rules belong to anonymized branches: refused on the source, which GET shows without rules
        Res onMain = s.patch("/projects/" + pid + "/branches/" + mainId + "/masking_rules", new JsonObject().put("masking_rules", valid));
        assertThat(onMain.status()).as(onMain.toString()).isEqualTo(400);
        assertThat(onMain.json().getString("message")).contains("is not an anonymized branch");
        assertThat(ok(s.get("/projects/" + pid + "/branches/" + mainId + "/masking_rules")).json().getJsonArray("masking_rules")).isEmpty();
        // no scratch timeline of a check outlives it
        assertThat(s.server.store().timelines().size()).isEqualTo(timelinesBefore);
    }

    @Test
    void badInputIsRefusedWithAMessage() {
        JsonObject proj = s.createProject("anon-bad");
        String pid = proj.getJsonObject("project").getString("id");
        String mainId = proj.getJsonObject("branch").getString("id");
        String path = "/projects/" + pid + "/branch_anonymized";

        Res unknownFn = s.post(path, new JsonObject().put("masking_rules", new JsonArray()
                .add(rule("customers", "email", "anon.no_such_function()", null))));
        assertThat(unknownFn.status()).as(unknownFn.toString()).isEqualTo(400);
        assertThat(unknownFn.json().getString("message")).contains("invalid masking rules");

        Res both = s.post(path, new JsonObject().put("masking_rules", new JsonArray()
                .add(rule("customers", "email", "anon.fake_email()", null).put("masking_value", "'x'"))));
        assertThat(both.status()).as(both.toString()).isEqualTo(400);
        assertThat(both.json().getString("message")).contains("exactly one of masking_function and masking_value");

        Res parentData = s.post(path, new JsonObject().put("branch_create", new JsonObject()
                .put("branch", new JsonObject().put("init_source", "parent-data"))));
        assertThat(parentData.status()).as(parentData.toString()).isEqualTo(400);
        assertThat(parentData.json().getString("message")).contains("init_source");

        Res notAnon = s.get("/projects/" + pid + "/branches/" + mainId + "/anonymized_status");
        assertThat(notAnon.status()).as(notAnon.toString()).isEqualTo(400);
        assertThat(notAnon.json().getString("message")).contains("is not an anonymized branch");
        Res notAnonRun = s.post("/projects/" + pid + "/branches/" + mainId + "/anonymize", null);
        assertThat(notAnonRun.status()).as(notAnonRun.toString()).isEqualTo(400);

        // nothing half-done: no branch was created by the refused calls
        assertThat(ok(s.get("/projects/" + pid + "/branches/count")).json().getInteger("count")).isEqualTo(1);
    }
}
