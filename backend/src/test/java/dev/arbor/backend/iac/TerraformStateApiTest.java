package dev.arbor.backend.iac;

import dev.arbor.backend.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The Terraform http state backend over real HTTP against a real server (embedded metadata PostgreSQL). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TerraformStateApiTest {
    private TestServer s;
    private StateHttp http;
    private String project;
    private String otherProject;
    private String admin;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start();
        http = new StateHttp(s.base());
        project = s.createProject("tfstate").getJsonObject("project").getString("id");
        otherProject = s.createProject("tfstate-other").getJsonObject("project").getString("id");
        admin = StateHttp.basic(s.adminKey);
    }

    @AfterAll
    void stop() throws Exception { s.close(); }

    private String state(String name) { return "/projects/" + project + "/terraform/state/" + name; }

    private static byte[] doc(long serial, String lineage, String extra) {
        // odd spacing on purpose: the server must hand back exactly these bytes
        return ("{\"version\": 4,  \"serial\": " + serial + ", \"lineage\": \"" + lineage + "\", \"resources\": [\"" + extra + "\"]}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] lockInfo(String id, String who) {
        return new JsonObject().put("ID", id).put("Operation", "OperationTypeApply").put("Info", "").put("Who", who)
                .put("Version", "1.11.4").put("Created", "2026-11-25T20:00:00Z").put("Path", "").encode().getBytes(StandardCharsets.UTF_8);
    }

    private static String md5b64(byte[] b) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(b));
    }

    private static void assertError(StateHttp.Res r, int status, String code, String messagePart) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        JsonObject j = r.json();
        assertThat(j.getString("code")).isEqualTo(code);
        assertThat(j.getString("message")).contains(messagePart);
        assertThat(j.getString("request_id")).isNotBlank();
    }

    @Test
    void missingStateIs404ThenStoredBytesComeBackExactly() throws Exception {
        assertError(http.call("GET", state("roundtrip"), null, admin), 404, "NOT_FOUND", "roundtrip");
        byte[] body = doc(1, "lin-1", "a");
        StateHttp.Res put = http.call("POST", state("roundtrip"), body, admin, md5b64(body));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().getInteger("version")).isEqualTo(1);

        StateHttp.Res got = http.call("GET", state("roundtrip"), null, admin);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(body);
        assertThat(got.header("Content-MD5")).isEqualTo(md5b64(body));
        assertThat(got.header("X-Terraform-Serial")).isEqualTo("1");

        // PUT is accepted as update_method too
        byte[] second = doc(2, "lin-1", "b");
        assertThat(http.call("PUT", state("roundtrip"), second, StateHttp.bearer(s.adminKey)).status()).isEqualTo(200);
        assertThat(http.call("GET", state("roundtrip"), null, admin).body()).isEqualTo(second);
    }

    @Test
    void lockConflictsAnswer423WithTheHoldersLockInfo() throws Exception {
        String st = state("locked");
        byte[] a = lockInfo("aaaa-1111", "alice@host-a");
        byte[] b = lockInfo("bbbb-2222", "bob@host-b");
        assertThat(http.call("LOCK", st, a, admin).status()).isEqualTo(200);
        assertThat(http.call("LOCK", st, a, admin).status()).as("a retried LOCK by the holder").isEqualTo(200);

        StateHttp.Res conflict = http.call("LOCK", st, b, admin);
        assertThat(conflict.status()).isEqualTo(423);
        assertThat(conflict.json().getString("ID")).isEqualTo("aaaa-1111");
        assertThat(conflict.json().getString("Who")).isEqualTo("alice@host-a");

        JsonObject status = new JsonObject(http.call("GET", st + "/lock", null, admin).text());
        assertThat(status.getBoolean("locked")).isTrue();
        assertThat(status.getJsonObject("lock").getString("ID")).isEqualTo("aaaa-1111");

        byte[] body = doc(1, "lin-lock", "x");
        StateHttp.Res noId = http.call("POST", st, body, admin);
        assertThat(noId.status()).as("a write without the lock ID while locked").isEqualTo(423);
        assertThat(noId.json().getString("ID")).isEqualTo("aaaa-1111");
        assertThat(http.call("POST", st + "?ID=bbbb-2222", body, admin).status()).isEqualTo(423);
        assertThat(http.call("GET", st, null, admin).status()).as("refused writes stored nothing").isEqualTo(404);
        assertThat(http.call("POST", st + "?ID=aaaa-1111", body, admin).status()).isEqualTo(200);

        StateHttp.Res wrongUnlock = http.call("UNLOCK", st, b, admin);
        assertThat(wrongUnlock.status()).isEqualTo(423);
        assertThat(wrongUnlock.json().getString("ID")).isEqualTo("aaaa-1111");
        StateHttp.Res unlock = http.call("UNLOCK", st, a, admin);
        assertThat(unlock.status()).isEqualTo(200);
        assertThat(unlock.json().getBoolean("unlocked")).isTrue();
        assertThat(http.call("UNLOCK", st, a, admin).status()).as("unlocking an unlocked state").isEqualTo(200);

        assertError(http.call("POST", st + "?ID=aaaa-1111", doc(2, "lin-lock", "y"), admin), 409, "CONFLICT", "not held");
        assertThat(http.call("POST", st, doc(2, "lin-lock", "y"), admin).status()).isEqualTo(200);
    }

    @Test
    void emptyUnlockForcesAndLockAddressAlternativesWork() {
        String st = state("forced");
        assertThat(http.call("LOCK", st, lockInfo("stuck-1", "crashed-ci"), admin).status()).isEqualTo(200);
        StateHttp.Res forced = http.call("UNLOCK", st, null, admin);
        assertThat(forced.status()).isEqualTo(200);
        assertThat(forced.json().getBoolean("unlocked")).isTrue();
        assertThat(new JsonObject(http.call("GET", st + "/lock", null, admin).text()).getBoolean("locked")).isFalse();

        // lock_address=.../lock with lock_method=POST, unlock_method=DELETE (GitLab style), or unlock_address=.../unlock
        assertThat(http.call("POST", st + "/lock", lockInfo("gl-1", "ci"), admin).status()).isEqualTo(200);
        assertThat(http.call("POST", st + "/lock", lockInfo("gl-2", "ci"), admin).status()).isEqualTo(423);
        assertThat(http.call("DELETE", st + "/lock", lockInfo("gl-1", "ci"), admin).status()).isEqualTo(200);
        assertThat(http.call("PUT", st + "/lock", lockInfo("gl-3", "ci"), admin).status()).isEqualTo(200);
        assertThat(http.call("POST", st + "/unlock", lockInfo("gl-2", "ci"), admin).status()).isEqualTo(423);
        assertThat(http.call("POST", st + "/unlock", lockInfo("gl-3", "ci"), admin).status()).isEqualTo(200);

        assertError(http.call("LOCK", st, "{\"Who\":\"x\"}".getBytes(StandardCharsets.UTF_8), admin), 400, "BAD_REQUEST", "ID");
        assertError(http.call("LOCK", st, "not json".getBytes(StandardCharsets.UTF_8), admin), 400, "BAD_REQUEST", "LockInfo");
    }

    @Test
    void versionsAreKeptNewestFirstAndRetrievable() {
        String st = state("history");
        byte[] v1 = doc(1, "lin-h", "one");
        byte[] v2 = doc(2, "lin-h", "two");
        byte[] v3 = doc(3, "lin-h", "three");
        assertThat(http.call("POST", st, v1, admin).status()).isEqualTo(200);
        assertThat(http.call("POST", st, v2, admin).status()).isEqualTo(200);
        StateHttp.Res retry = http.call("POST", st, v2, admin);
        assertThat(retry.json().getBoolean("unchanged")).as("a retried identical POST adds no version").isTrue();
        assertThat(http.call("POST", st, v3, admin).status()).isEqualTo(200);

        JsonArray versions = new JsonObject(http.call("GET", st + "/versions", null, admin).text()).getJsonArray("versions");
        assertThat(versions.size()).isEqualTo(3);
        assertThat(versions.getJsonObject(0).getInteger("version")).isEqualTo(3);
        assertThat(versions.getJsonObject(0).getLong("serial")).isEqualTo(3L);
        assertThat(versions.getJsonObject(2).getInteger("version")).isEqualTo(1);
        assertThat(versions.getJsonObject(2).getString("lineage")).isEqualTo("lin-h");
        assertThat(versions.getJsonObject(2).getInteger("size_bytes")).isEqualTo(v1.length);
        assertThat(versions.getJsonObject(2).getString("md5")).hasSize(32);
        assertThat(versions.getJsonObject(2).getString("created_at")).isNotBlank();

        assertThat(http.call("GET", st + "/versions/1", null, admin).body()).isEqualTo(v1);
        assertThat(http.call("GET", st + "/versions/2", null, admin).body()).isEqualTo(v2);
        assertError(http.call("GET", st + "/versions/9", null, admin), 404, "NOT_FOUND", "version 9");
        assertError(http.call("GET", st + "/versions/abc", null, admin), 400, "BAD_REQUEST", "version");
        assertError(http.call("GET", state("never-written") + "/versions", null, admin), 404, "NOT_FOUND", "never-written");
    }

    @Test
    void deleteIsRefusedToNonHoldersAndPurgesVersions() {
        String st = state("doomed");
        assertThat(http.call("POST", st, doc(1, "lin-d", "a"), admin).status()).isEqualTo(200);
        assertThat(http.call("LOCK", st, lockInfo("d-1", "holder"), admin).status()).isEqualTo(200);
        StateHttp.Res refused = http.call("DELETE", st, null, admin);
        assertThat(refused.status()).isEqualTo(423);
        assertThat(refused.json().getString("ID")).isEqualTo("d-1");
        assertThat(http.call("DELETE", st + "?ID=d-1", null, admin).status()).isEqualTo(200);
        assertThat(http.call("GET", st, null, admin).status()).isEqualTo(404);
        assertThat(http.call("GET", st + "/versions", null, admin).status()).isEqualTo(404);
        assertThat(new JsonObject(http.call("GET", st + "/lock", null, admin).text()).getBoolean("locked")).isFalse();
    }

    @Test
    void authBasicPasswordOrBearerAndProjectScope() {
        String st = state("authz");
        assertError(http.call("GET", st, null, null), 401, "UNAUTHORIZED", "TF_HTTP_PASSWORD");
        assertError(http.call("GET", st, null, StateHttp.basic("arb_not-a-key")), 401, "UNAUTHORIZED", "not valid");
        assertError(http.call("GET", st, null, "Basic " + Base64.getEncoder().encodeToString("user-only".getBytes())), 401, "UNAUTHORIZED", "password");
        assertError(http.call("GET", st, null, "Basic %%%"), 401, "UNAUTHORIZED", "malformed");
        assertThat(http.call("GET", st, null, StateHttp.bearer(s.adminKey)).status()).isEqualTo(404);

        String scoped = TestServer.ok(s.post("/api_keys", new JsonObject().put("key_name", "tf-ci").put("project_id", project))).json().getString("key");
        assertThat(http.call("POST", st, doc(1, "lin-a", "a"), StateHttp.basic(scoped)).status()).isEqualTo(200);
        assertThat(http.call("GET", st, null, StateHttp.basic(scoped)).status()).isEqualTo(200);
        String other = "/projects/" + otherProject + "/terraform/state/authz";
        assertError(http.call("GET", other, null, StateHttp.basic(scoped)), 403, "FORBIDDEN", "scoped to project " + project);
        assertError(http.call("LOCK", other, lockInfo("x", "y"), StateHttp.basic(scoped)), 403, "FORBIDDEN", "scoped");
        assertThat(http.call("GET", other, null, admin).status()).as("the refused calls wrote nothing").isEqualTo(404);
        assertError(http.call("GET", "/projects/no-such-project-1/terraform/state/x", null, admin), 404, "NOT_FOUND", "no-such-project-1");
    }

    @Test
    void badNamesBodiesAndMethodsAreRefused() throws Exception {
        assertError(http.call("GET", state("a%2Fb"), null, admin), 400, "BAD_REQUEST", "state name");
        assertError(http.call("GET", state("a%20b"), null, admin), 400, "BAD_REQUEST", "state name");
        assertError(http.call("GET", state("x".repeat(129)), null, admin), 400, "BAD_REQUEST", "1-128");
        assertThat(http.call("GET", state("x".repeat(128)), null, admin).status()).isEqualTo(404);
        assertThat(http.call("GET", state("%2E%2E"), null, admin).status()).isBetween(400, 404);
        assertError(http.call("GET", "/projects/BAD_ID/terraform/state/x", null, admin), 400, "BAD_REQUEST", "project_id");

        String st = state("bodies");
        assertError(http.call("POST", st, new byte[0], admin), 400, "BAD_REQUEST", "empty");
        assertError(http.call("POST", st, "[1,2]".getBytes(StandardCharsets.UTF_8), admin), 400, "BAD_REQUEST", "JSON object");
        byte[] body = doc(1, "lin-b", "a");
        assertError(http.call("POST", st, body, admin, md5b64("other".getBytes())), 400, "BAD_REQUEST", "Content-MD5");
        StateHttp.Res patch = http.call("PATCH", st, body, admin);
        assertError(patch, 405, "METHOD_NOT_ALLOWED", "PATCH");
        assertThat(patch.header("Allow")).contains("LOCK").contains("UNLOCK");

        // bigger than the 1 MiB API body limit is fine, up to 32 MiB
        byte[] big = doc(1, "lin-big", "z".repeat(3 * 1024 * 1024));
        assertThat(http.call("POST", st, big, admin).status()).isEqualTo(200);
        assertThat(Arrays.equals(http.call("GET", st, null, admin).body(), big)).isTrue();
        byte[] huge = new byte[(int) TerraformStateApi.MAX_STATE_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        StateHttp.Res tooBig = http.call("POST", st, huge, admin);
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(http.call("GET", st, null, admin).body()).as("the refused write left the state alone").isEqualTo(big);
    }
}
