package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9, twin import end to end: a plain local PostgreSQL cluster (the "production" source, started here)
 * with a foreign key, a sequence and an index is imported into main over the HTTP API; rows are read
 * through the proxy with pgjdbc; after more rows land in the source a re-sync brings them into main while a
 * child branched off before the re-sync keeps its old view; progress shows in the operations API and the
 * source password shows nowhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwinImportTest {
    private static final int CUSTOMERS = 300;
    private static final int ORDERS = 2000;
    private TestServer s;
    private TwinSource source;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c, LocalCompute.factory());
        source = TwinSource.start(CUSTOMERS, ORDERS);
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (source != null) source.close();
    }

    private Connection sourceDb() throws SQLException { return source.connect(); }

    private String sourceUrl() { return source.url(); }

    @Test
    void importResyncAndChildKeepsItsView() throws Exception {
        JsonObject created = s.createProject("twin");
        String projectId = created.getJsonObject("project").getString("id");
        String mainId = created.getJsonObject("branch").getString("id");
        String mainUri = created.getJsonArray("connection_uris").getJsonObject(0).getString("connection_uri");

        // bad input: nothing is scheduled
        assertError(s.post("/projects/" + projectId + "/import", new JsonObject()), 400, "source_url is required");
        assertError(s.post("/projects/" + projectId + "/import", new JsonObject().put("source_url", "mysql://u:p@h/db")), 400, "postgresql://");
        assertError(s.post("/projects/" + projectId + "/import", new JsonObject().put("mode", "resync")), 409, "no earlier import");
        String wrongPw = "postgresql://arbor:Wr0ngSecret77@127.0.0.1:" + source.port() + "/arbor?sslmode=disable";
        Res bad = assertError(s.post("/projects/" + projectId + "/import", new JsonObject().put("source_url", wrongPw)), 422, "password authentication failed");
        assertThat(bad.raw()).doesNotContain("Wr0ngSecret77").contains("IMPORT_SOURCE_UNREACHABLE");
        int closedPort = freePort();
        assertError(s.post("/projects/" + projectId + "/import", new JsonObject()
                .put("source_url", "postgresql://arbor:x@127.0.0.1:" + closedPort + "/arbor")), 422, "cannot read the source database");
        assertThat(ok(s.get("/projects/" + projectId + "/import")).json().getJsonArray("imports")).isEmpty();

        // full import into main (the default branch), watching progress while it runs
        Res r = s.post("/projects/" + projectId + "/import", new JsonObject().put("source_url", sourceUrl()).put("jobs", 2));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().getJsonObject("import").getString("branch_id")).isEqualTo(mainId);
        assertThat(r.json().getJsonObject("import").getString("source")).contains(":****@").doesNotContain(source.password());
        JsonObject op = awaitImport(projectId, r.json().getJsonArray("operations").getJsonObject(0).getString("id"));
        JsonObject progress = op.getJsonObject("progress");
        assertThat(progress.getString("phase")).isEqualTo("done");
        assertThat(progress.getInteger("tables_total")).isEqualTo(2);
        assertThat(progress.getInteger("tables_done")).isEqualTo(2);
        assertThat(progress.getLong("bytes_done")).isPositive().isEqualTo(progress.getLong("bytes_total"));

        try (Connection c = jdbc(mainUri); var st = c.createStatement()) {
            assertThat(count(c, "select count(*) from customers")).isEqualTo(CUSTOMERS);
            assertThat(count(c, "select count(*) from orders")).isEqualTo(ORDERS);
            assertThat(count(c, "select sum(amount)::bigint from orders where customer_id = 1")).isPositive();
            // the sequence kept its position, the index and the foreign key came along
            assertThat(count(c, "select nextval('invoice_no')")).isEqualTo(1007);
            assertThat(count(c, "select count(*) from pg_indexes where indexname = 'orders_by_customer'")).isEqualTo(1);
            assertThat(count(c, "select count(*) from pg_constraint where contype = 'f' and conrelid = 'orders'::regclass")).isEqualTo(1);
            // the branch's owner owns the imported tables (it can write them)
            st.execute("insert into customers(name) values ('made-in-arbor')");
        }

        // a child of main made now keeps this view through the re-sync
        JsonObject child = s.createBranch(projectId, new JsonObject().put("name", "before-resync"));
        String childId = child.getJsonObject("branch").getString("id");

        try (Connection c = sourceDb(); var st = c.createStatement()) {
            st.execute("insert into customers(name) select 'late' || g from generate_series(1, 50) g");
            st.execute("insert into orders(customer_id, amount) select 1, 9.99 from generate_series(1, 100) g");
        }
        Res rs = s.post("/projects/" + projectId + "/import", new JsonObject().put("mode", "resync"));
        assertThat(rs.status()).as(rs.toString()).isEqualTo(201);
        JsonObject op2 = awaitImport(projectId, rs.json().getJsonArray("operations").getJsonObject(0).getString("id"));
        assertThat(op2.getJsonObject("progress").getInteger("tables_done")).isEqualTo(2);

        try (Connection c = jdbc(mainUri)) {
            assertThat(count(c, "select count(*) from customers")).isEqualTo(CUSTOMERS + 50);
            assertThat(count(c, "select count(*) from orders")).isEqualTo(ORDERS + 100);
            // a re-sync makes main a copy of the source again: rows written only in main are gone
            assertThat(count(c, "select count(*) from customers where name = 'made-in-arbor'")).isZero();
        }
        String childUri = childEndpointUri(projectId, childId);
        try (Connection c = jdbc(childUri)) {
            assertThat(count(c, "select count(*) from customers")).isEqualTo(CUSTOMERS + 1);
            assertThat(count(c, "select count(*) from orders")).isEqualTo(ORDERS);
            assertThat(count(c, "select count(*) from customers where name = 'made-in-arbor'")).isEqualTo(1);
        }

        // the twin is listed with its redacted source; the password is in no API answer
        JsonArray imports = ok(s.get("/projects/" + projectId + "/import")).json().getJsonArray("imports");
        assertThat(imports).hasSize(1);
        assertThat(imports.getJsonObject(0).getString("mode")).isEqualTo("resync");
        assertThat(imports.getJsonObject(0).getJsonObject("last_operation").getString("status")).isEqualTo("finished");
        String everything = s.get("/projects/" + projectId + "/operations").raw() + imports.encode();
        assertThat(everything).contains("import_data").doesNotContain(source.password()).doesNotContain("source_url_enc");
    }

    private String childEndpointUri(String projectId, String branchId) {
        Res e = s.post("/projects/" + projectId + "/endpoints", new JsonObject().put("endpoint",
                new JsonObject().put("branch_id", branchId).put("type", "read_write")));
        assertThat(e.status()).as(e.toString()).isEqualTo(201);
        s.awaitOperations(projectId, e.json().getJsonArray("operations"));
        return ok(s.get("/projects/" + projectId + "/connection_uri?branch_id=" + branchId
                + "&database_name=neondb&role_name=neondb_owner")).json().getString("uri");
    }

    /** Polls the operation until it ends, checking progress is reported while it runs. */
    private JsonObject awaitImport(String projectId, String opId) {
        long deadline = System.nanoTime() + 300_000_000_000L;
        List<String> phases = new ArrayList<>();
        while (true) {
            JsonObject op = ok(s.get("/projects/" + projectId + "/operations/" + opId)).obj("operation");
            assertThat(op.getString("action")).isEqualTo("import_data");
            if (op.getJsonObject("progress") != null) phases.add(op.getJsonObject("progress").getString("phase"));
            String st = op.getString("status");
            if (!st.equals("running") && !st.equals("scheduling")) {
                assertThat(st).as(op.encode()).isEqualTo("finished");
                assertThat(phases).contains("done");
                return op;
            }
            if (System.nanoTime() > deadline) throw new AssertionError("import still " + st + ": " + op.encode());
            TestServer.sleep(50);
        }
    }

    private static Res assertError(Res r, int status, String message) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().getString("message")).as(r.toString()).contains(message);
        assertThat(r.json().getString("code")).isNotBlank();
        return r;
    }

    /** pgjdbc through the proxy, from the API's connection URI. */
    static Connection jdbc(String uri) throws SQLException {
        URI u = URI.create(uri);
        String[] userInfo = u.getRawUserInfo().split(":", 2);
        Properties p = new Properties();
        p.setProperty("user", URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8));
        p.setProperty("password", URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8));
        p.setProperty("connectTimeout", "60");
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getRawPath() + "?" + u.getRawQuery(), p);
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int freePort() throws java.io.IOException {
        try (var sock = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) { return sock.getLocalPort(); }
    }
}
