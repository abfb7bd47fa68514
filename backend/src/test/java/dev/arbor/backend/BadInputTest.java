package dev.arbor.backend;

import dev.arbor.backend.TestServer.Res;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input: each case is a 4xx with Neon's error shape, a message naming the problem, and no change to
 * any metadata. The table in docs/api-errors.md lists the same cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private TestServer s;
    private Map<String, String> ids;

    /** One bad request. Placeholders {P} {MAIN} {DEV} {CHILD} {PROT} (project P), {Q} {QB} (project Q), {Z} (full project). */
    record Case(String name, String method, String path, String body, int status, String code, String message) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() {
        String big = "{\"branch\":{\"name\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}}";
        return Stream.of(
            new Case("malformed JSON", "POST", "/projects", "{", 400, "BAD_REQUEST", "not valid JSON"),
            new Case("body is an array", "POST", "/projects", "[1,2]", 400, "BAD_REQUEST", "must be a JSON object"),
            new Case("project is a string", "POST", "/projects", "{\"project\":\"x\"}", 400, "BAD_REQUEST", "project must be an object"),
            new Case("project missing", "POST", "/projects", "{}", 400, "BAD_REQUEST", "project is required"),
            new Case("project name is a number", "POST", "/projects", "{\"project\":{\"name\":5}}", 400, "BAD_REQUEST", "project.name must be a string"),
            new Case("pg_version is a string", "POST", "/projects", "{\"project\":{\"pg_version\":\"15\"}}", 400, "BAD_REQUEST", "project.pg_version must be an integer"),
            new Case("pg_version not installed", "POST", "/projects", "{\"project\":{\"pg_version\":16}}", 400, "BAD_REQUEST", "runs PostgreSQL 15"),
            new Case("unknown region", "POST", "/projects", "{\"project\":{\"region_id\":\"aws-us-east-2\"}}", 400, "BAD_REQUEST", "is not available"),
            new Case("negative history retention", "POST", "/projects", "{\"project\":{\"history_retention_seconds\":-1}}", 400, "BAD_REQUEST", "history_retention_seconds"),
            new Case("empty project name", "POST", "/projects", "{\"project\":{\"name\":\"\"}}", 400, "BAD_REQUEST", "must not be empty"),
            new Case("project name too long", "POST", "/projects", "{\"project\":{\"name\":\"" + "n".repeat(257) + "\"}}", 400, "BAD_REQUEST", "at most 256"),
            new Case("project name with quote", "POST", "/projects", "{\"project\":{\"name\":\"a'b\"}}", 400, "BAD_REQUEST", "quotes"),
            new Case("role name with semicolon", "POST", "/projects", "{\"project\":{\"branch\":{\"role_name\":\"x;drop\"}}}", 400, "BAD_REQUEST", "role_name must start with a letter"),
            new Case("reserved database name", "POST", "/projects", "{\"project\":{\"branch\":{\"database_name\":\"postgres\"}}}", 400, "BAD_REQUEST", "is reserved"),
            new Case("body over 1 MiB", "POST", "/projects/{P}/branches", big, 413, "PAYLOAD_TOO_LARGE", "exceeds 1048576 bytes"),
            new Case("protected is a string", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"x\",\"protected\":\"yes\"}}", 400, "BAD_REQUEST", "branch.protected must be a boolean"),
            new Case("endpoints is an object", "POST", "/projects/{P}/branches", "{\"endpoints\":{\"type\":\"read_write\"}}", 400, "BAD_REQUEST", "endpoints must be an array"),
            new Case("unknown endpoint type", "POST", "/projects/{P}/branches", "{\"endpoints\":[{\"type\":\"big\"}]}", 400, "BAD_REQUEST", "endpoints[0].type must be read_write or read_only"),
            new Case("two read_write endpoints", "POST", "/projects/{P}/branches", "{\"endpoints\":[{\"type\":\"read_write\"},{\"type\":\"read_write\"}]}", 400, "BAD_REQUEST", "at most one read_write"),
            new Case("duplicate branch name", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"dev\"}}", 409, "CONFLICT", "branch with name dev already exists"),
            new Case("branch name with semicolon", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"a;b\"}}", 400, "BAD_REQUEST", "branch.name must not contain"),
            new Case("branch name with double quote", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"a\\\"b\"}}", 400, "BAD_REQUEST", "branch.name must not contain"),
            new Case("branch name with newline", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"a\\nb\"}}", 400, "BAD_REQUEST", "control characters"),
            new Case("empty branch name", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"\"}}", 400, "BAD_REQUEST", "branch.name must not be empty"),
            new Case("branch name too long", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"" + "b".repeat(257) + "\"}}", 400, "BAD_REQUEST", "at most 256"),
            new Case("parent in another project", "POST", "/projects/{P}/branches", "{\"branch\":{\"name\":\"x\",\"parent_id\":\"{QB}\"}}", 400, "BAD_REQUEST", "is not a branch of project"),
            new Case("path-traversal parent id", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_id\":\"../../etc\"}}", 400, "BAD_REQUEST", "branch.parent_id must match"),
            new Case("malformed parent_lsn", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_lsn\":\"zzz\"}}", 400, "BAD_REQUEST", "parent_lsn must look like"),
            new Case("parent_lsn and parent_timestamp", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_lsn\":\"0/1\",\"parent_timestamp\":\"2026-01-01T00:00:00Z\"}}", 400, "BAD_REQUEST", "not both"),
            new Case("parent_timestamp not RFC 3339", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_timestamp\":\"yesterday\"}}", 400, "BAD_REQUEST", "RFC 3339"),
            new Case("parent_timestamp in the future", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_timestamp\":\"2999-01-01T00:00:00Z\"}}", 400, "BAD_REQUEST", "in the future"),
            new Case("parent_lsn past the head", "POST", "/projects/{P}/branches", "{\"branch\":{\"parent_lsn\":\"FFFFFFF/FFFFFFFF\"}}", 400, "BAD_REQUEST", "after the parent's head"),
            new Case("expires_at in the past", "POST", "/projects/{P}/branches", "{\"branch\":{\"expires_at\":\"2001-01-01T00:00:00Z\"}}", 400, "BAD_REQUEST", "must be in the future"),
            new Case("schema-only branch from an unknown parent", "POST", "/projects/{P}/branches", "{\"branch\":{\"init_source\":\"schema-only\",\"parent_id\":\"br-unknown-1\"},\"endpoints\":[{\"type\":\"read_write\"}]}", 400, "BAD_REQUEST", "is not a branch of project"),
            new Case("unknown init_source", "POST", "/projects/{P}/branches", "{\"branch\":{\"init_source\":\"magic\"}}", 400, "BAD_REQUEST", "init_source"),
            new Case("branch quota exceeded", "POST", "/projects/{Z}/branches", "{\"branch\":{\"name\":\"one-more\"}}", 422, "BRANCHES_LIMIT_EXCEEDED", "limit of 6 branches"),
            new Case("endpoint quota exceeded", "POST", "/projects/{Z}/endpoints", "{\"endpoint\":{\"branch_id\":\"{ZB}\",\"type\":\"read_only\"}}", 422, "ENDPOINTS_LIMIT_EXCEEDED", "limit of 3 endpoints"),
            new Case("compute size below minimum", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"{DEV}\",\"type\":\"read_only\",\"autoscaling_limit_min_cu\":0.1}}", 400, "BAD_REQUEST", "multiple of 0.25"),
            new Case("min compute above max", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"{DEV}\",\"type\":\"read_only\",\"autoscaling_limit_min_cu\":2,\"autoscaling_limit_max_cu\":1}}", 400, "BAD_REQUEST", "autoscaling_limit_max_cu must be >="),
            new Case("bad suspend timeout", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"{DEV}\",\"type\":\"read_only\",\"suspend_timeout_seconds\":5}}", 400, "BAD_REQUEST", "suspend_timeout_seconds"),
            new Case("pg_settings value with quote", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"{DEV}\",\"type\":\"read_only\",\"settings\":{\"pg_settings\":{\"work_mem\":\"1'; x\"}}}}", 400, "BAD_REQUEST", "must not contain quotes"),
            new Case("second read_write endpoint", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"{MAIN}\",\"type\":\"read_write\"}}", 409, "CONFLICT", "already has a read_write endpoint"),
            new Case("endpoint on unknown branch", "POST", "/projects/{P}/endpoints", "{\"endpoint\":{\"branch_id\":\"br-no-such-00000000\",\"type\":\"read_only\"}}", 404, "NOT_FOUND", "br-no-such-00000000"),
            new Case("delete default branch", "DELETE", "/projects/{P}/branches/{MAIN}", null, 409, "CONFLICT", "default branch"),
            new Case("delete branch with children", "DELETE", "/projects/{P}/branches/{DEV}", null, 409, "CONFLICT", "has child branches"),
            new Case("delete protected branch", "DELETE", "/projects/{P}/branches/{PROT}", null, 409, "CONFLICT", "is protected"),
            new Case("rename onto existing name", "PATCH", "/projects/{P}/branches/{CHILD}", "{\"branch\":{\"name\":\"dev\"}}", 409, "CONFLICT", "already exists"),
            new Case("update without branch object", "PATCH", "/projects/{P}/branches/{CHILD}", "{\"name\":\"x\"}", 400, "BAD_REQUEST", "branch is required"),
            new Case("unknown branch id", "GET", "/projects/{P}/branches/br-nope-nope-00000000", null, 404, "NOT_FOUND", "br-nope-nope-00000000 not found"),
            new Case("unknown project id", "GET", "/projects/no-such-project-0", null, 404, "NOT_FOUND", "project no-such-project-0 not found"),
            new Case("branch of another project", "GET", "/projects/{P}/branches/{QB}", null, 404, "NOT_FOUND", "not found in project"),
            new Case("upper-case project id", "GET", "/projects/NOT-AN-ID", null, 400, "BAD_REQUEST", "project_id must match"),
            new Case("path-traversal branch id", "GET", "/projects/{P}/branches/..%2F..%2Fetc%2Fpasswd", null, 400, "BAD_REQUEST", "branch_id must match"),
            new Case("path-traversal endpoint id", "DELETE", "/projects/{P}/endpoints/ep-x%2F..%2F..", null, 400, "BAD_REQUEST", "endpoint_id must match"),
            new Case("id longer than 60", "GET", "/projects/" + "a".repeat(61), null, 400, "BAD_REQUEST", "project_id must match"),
            new Case("empty role name", "POST", "/projects/{P}/branches/{DEV}/roles", "{\"role\":{\"name\":\"\"}}", 400, "BAD_REQUEST", "role.name must not be empty"),
            new Case("reserved role name", "POST", "/projects/{P}/branches/{DEV}/roles", "{\"role\":{\"name\":\"pg_admin\"}}", 400, "BAD_REQUEST", "is reserved"),
            new Case("role name over 63 bytes", "POST", "/projects/{P}/branches/{DEV}/roles", "{\"role\":{\"name\":\"" + "r".repeat(64) + "\"}}", 400, "BAD_REQUEST", "at most 63 bytes"),
            new Case("duplicate role", "POST", "/projects/{P}/branches/{DEV}/roles", "{\"role\":{\"name\":\"neondb_owner\"}}", 409, "CONFLICT", "already exists"),
            new Case("database owner missing", "POST", "/projects/{P}/branches/{DEV}/databases", "{\"database\":{\"name\":\"db2\",\"owner_name\":\"ghost\"}}", 400, "BAD_REQUEST", "owner role ghost does not exist"),
            new Case("duplicate database", "POST", "/projects/{P}/branches/{DEV}/databases", "{\"database\":{\"name\":\"neondb\",\"owner_name\":\"neondb_owner\"}}", 409, "CONFLICT", "already exists"),
            new Case("database name with quote", "POST", "/projects/{P}/branches/{DEV}/databases", "{\"database\":{\"name\":\"a\\\"b\",\"owner_name\":\"neondb_owner\"}}", 400, "BAD_REQUEST", "database.name must start"),
            new Case("reveal unknown role", "GET", "/projects/{P}/branches/{DEV}/roles/ghost/reveal_password", null, 404, "NOT_FOUND", "role ghost not found"),
            new Case("restore without source", "POST", "/projects/{P}/branches/{CHILD}/restore", "{}", 400, "BAD_REQUEST", "source_branch_id is required"),
            new Case("restore from itself without point", "POST", "/projects/{P}/branches/{CHILD}/restore", "{\"source_branch_id\":\"{CHILD}\"}", 400, "BAD_REQUEST", "needs source_lsn or source_timestamp"),
            new Case("restore with children, no preserve", "POST", "/projects/{P}/branches/{DEV}/restore", "{\"source_branch_id\":\"{MAIN}\"}", 400, "BAD_REQUEST", "preserve_under_name is required"),
            new Case("list limit zero", "GET", "/projects?limit=0", null, 400, "BAD_REQUEST", "limit must be between 1 and 400"),
            new Case("list limit not a number", "GET", "/projects?limit=abc", null, 400, "BAD_REQUEST", "limit must be an integer"),
            new Case("unknown sort_by", "GET", "/projects/{P}/branches?sort_by=size", null, 400, "BAD_REQUEST", "sort_by must be"),
            new Case("forged cursor", "GET", "/projects/{P}/branches?cursor=not-a-cursor", null, 400, "BAD_REQUEST", "cursor"),
            new Case("operation id not a UUID", "GET", "/projects/{P}/operations/123", null, 400, "BAD_REQUEST", "operation_id must be a UUID"),
            new Case("unknown API route", "GET", "/projects/{P}/nothing-here", null, 404, "NOT_FOUND", "no API route"),
            new Case("delete unknown branch", "DELETE", "/projects/{P}/branches/br-nope-nope-00000000", null, 404, "NOT_FOUND", "br-nope-nope-00000000 not found"),
            new Case("delete branch of another project", "DELETE", "/projects/{P}/branches/{QB}", null, 404, "NOT_FOUND", "not found in project"),
            new Case("delete unknown endpoint", "DELETE", "/projects/{P}/endpoints/ep-nope-nope-00000000", null, 404, "NOT_FOUND", "ep-nope-nope-00000000 not found"),
            new Case("delete role on unknown branch", "DELETE", "/projects/{P}/branches/br-nope-nope-00000000/roles/alice", null, 404, "NOT_FOUND", "br-nope-nope-00000000 not found"),
            new Case("delete database in unknown project", "DELETE", "/projects/no-such-project-0/branches/{MAIN}/databases/neondb", null, 404, "NOT_FOUND", "project no-such-project-0 not found"));
    }

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c.withQuotas(100, 6, 3), ComputeFactory.none());
        JsonObject p = s.createProject("p");
        String pid = p.getJsonObject("project").getString("id");
        String main = p.getJsonObject("branch").getString("id");
        String dev = s.createBranch(pid, new JsonObject().put("name", "dev")).getJsonObject("branch").getString("id");
        String child = s.createBranch(pid, new JsonObject().put("name", "dev-child").put("parent_id", dev)).getJsonObject("branch").getString("id");
        String prot = s.createBranch(pid, new JsonObject().put("name", "prot").put("protected", true)).getJsonObject("branch").getString("id");
        JsonObject q = s.createProject("q");
        JsonObject z = s.createProject("z");
        String zid = z.getJsonObject("project").getString("id");
        String zb = z.getJsonObject("branch").getString("id");
        for (int i = 0; i < 5; i++) s.createBranch(zid, new JsonObject().put("name", "z" + i));
        for (int i = 0; i < 2; i++) {
            ok(s.post("/projects/" + zid + "/endpoints", new JsonObject().put("endpoint", new JsonObject().put("branch_id", zb).put("type", "read_only"))));
        }
        ids = Map.of("{P}", pid, "{MAIN}", main, "{DEV}", dev, "{CHILD}", child, "{PROT}", prot,
                "{Q}", q.getJsonObject("project").getString("id"), "{QB}", q.getJsonObject("branch").getString("id"),
                "{Z}", zid, "{ZB}", zb);
    }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private String fill(String t) {
        if (t == null) return null;
        for (var e : ids.entrySet()) t = t.replace(e.getKey(), e.getValue());
        return t;
    }

    /** Everything a bad request could have changed, as one string. */
    private String snapshot() {
        StringBuilder sb = new StringBuilder();
        JsonArray projects = ok(s.get("/projects?limit=400")).json().getJsonArray("projects");
        for (int i = 0; i < projects.size(); i++) {
            JsonObject p = projects.getJsonObject(i);
            String pid = p.getString("id");
            sb.append(p.getString("name")).append(p.getString("updated_at")).append('\n');
            JsonArray branches = ok(s.get("/projects/" + pid + "/branches?sort_by=created_at")).json().getJsonArray("branches");
            for (int j = 0; j < branches.size(); j++) {
                JsonObject b = branches.getJsonObject(j);
                String bid = b.getString("id");
                sb.append(b.encode()).append('\n');
                sb.append(ok(s.get("/projects/" + pid + "/branches/" + bid + "/roles")).raw()).append('\n');
                sb.append(ok(s.get("/projects/" + pid + "/branches/" + bid + "/databases")).raw()).append('\n');
            }
            sb.append(ok(s.get("/projects/" + pid + "/endpoints")).raw()).append('\n');
            sb.append(ok(s.get("/projects/" + pid + "/operations?limit=1000")).json().getJsonArray("operations").size()).append('\n');
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void rejectedWithoutStateChange(Case c) {
        String before = snapshot();
        Res r = s.call(c.method(), fill(c.path()), fill(c.body()), s.adminKey);
        assertThat(r.status()).as(c.name() + " -> " + r).isEqualTo(c.status());
        JsonObject err = r.json();
        assertThat(err.fieldNames()).containsExactlyInAnyOrder("code", "message", "request_id");
        assertThat(err.getString("code")).isEqualTo(c.code());
        assertThat(err.getString("message")).contains(fill(c.message()));
        assertThat(snapshot()).as("state changed by " + c.name()).isEqualTo(before);
    }

    static int caseCount() { return (int) cases().count(); }

    @org.junit.jupiter.api.Test
    void atLeastFortyCases() {
        List<Case> all = cases().toList();
        assertThat(all).hasSizeGreaterThanOrEqualTo(40);
        assertThat(all.stream().map(Case::name)).doesNotHaveDuplicates();
    }
}
