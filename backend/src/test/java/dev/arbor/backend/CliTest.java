package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The everyday CLI ({@code arbor branch|connection-string|endpoint|import}) run in-process through picocli
 * exactly as {@code ./arbor} runs it, against a real server with compute: every command's effect is checked
 * with psql through the connection strings the CLI prints, and errors carry the API's message and a non-zero
 * exit code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {
    private TestServer s;
    private TwinSource source;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(c -> c, LocalCompute.factory());
        source = TwinSource.start(40, 120);
    }

    @AfterAll
    void stop() throws Exception {
        if (s != null) s.close();
        if (source != null) source.close();
    }

    record Run(int exit, String out, String err) {
        Run ok() {
            assertThat(exit).as("exit code; stdout:\n" + out + "\nstderr:\n" + err).isZero();
            return this;
        }
    }

    /** {@code arbor <args>} against the test server, with the key file `arbor server` wrote (as from the repo root). */
    private Run arbor(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api-url", s.base(), "--api-key-file", s.server.adminKeyFile().toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new Run(rc, out.toString(), err.toString());
    }

    private static String psql(String uri, String sql) throws Exception { return BranchWorkflowsTest.psql(uri, sql); }

    @Test
    void everydayCommandsAgainstALiveServer() throws Exception {
        JsonObject project = s.createProject("cli");
        String mainUri = arbor("connection-string").ok().out().strip();
        assertThat(mainUri).startsWith("postgresql://neondb_owner:").contains("options=endpoint%3D");
        psql(mainUri, "create table t (x int); insert into t values (1)");

        // branch create (progress goes to stderr, the table to stdout) and list
        Run created = arbor("branch", "create", "--name", "dev").ok();
        assertThat(created.out()).contains("dev").contains("main").contains("connection: postgresql://");
        assertThat(created.err()).contains("[").contains("done");
        Run list = arbor("branch", "list").ok();
        assertThat(list.out().lines().toList()).hasSize(3).anySatisfy(l -> assertThat(l).contains("dev").contains("main"));
        JsonArray branches = new JsonObject(arbor("branch", "list", "-o", "json").ok().out()).getJsonArray("branches");
        assertThat(branches).hasSize(2);

        // connection-string of the branch, then psql on it
        String devUri = arbor("connection-string", "dev").ok().out().strip();
        assertThat(devUri).isNotEqualTo(mainUri);
        psql(devUri, "insert into t values (2)");
        assertThat(psql(devUri, "select count(*) from t")).isEqualTo("2");

        // reset to parent drops dev's own row
        arbor("branch", "reset", "dev", "--parent").ok();
        assertThat(psql(devUri, "select count(*) from t")).isEqualTo("1");

        // restore dev from main's head, keeping the old state under a name
        psql(mainUri, "insert into t values (3)");
        Run restored = arbor("branch", "restore", "dev", "main", "--preserve-under-name", "dev-old").ok();
        assertThat(restored.out()).contains("dev");
        assertThat(psql(devUri, "select string_agg(x::text, ',' order by x) from t")).isEqualTo("1,3");
        assertThat(arbor("branch", "list").ok().out()).contains("dev-old");

        // endpoint suspend and start, by branch name
        assertThat(arbor("endpoint", "suspend", "dev").ok().out()).contains("idle");
        assertThat(arbor("endpoint", "start", "dev").ok().out()).contains("active");

        // delete
        assertThat(arbor("branch", "delete", "dev-old").ok().out()).contains("deleted branch dev-old");
        assertThat(arbor("branch", "list").ok().out()).doesNotContain("dev-old");

        // errors: the API's message and a non-zero exit code
        Run unknown = arbor("branch", "delete", "no-such-branch");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("arbor: branch no-such-branch not found");
        Run refused = arbor("branch", "delete", "main");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("arbor: ").contains("409");
        Run badKey = arbor("branch", "list", "--api-key", "not-a-key");
        assertThat(badKey.exit()).isEqualTo(1);
        assertThat(badKey.err()).contains("401");
        Run badSource = arbor("import", "--source-url", "postgresql://arbor:Nope123@127.0.0.1:" + source.port() + "/arbor?sslmode=disable");
        assertThat(badSource.exit()).isEqualTo(1);
        assertThat(badSource.err()).contains("IMPORT_SOURCE_UNREACHABLE").doesNotContain("Nope123");

        // import into main with progress, then a re-sync as JSON
        Run imported = arbor("import", "--source-url", source.url(), "--jobs", "2").ok();
        assertThat(imported.out()).contains("2/2").contains("full").contains(":****@").doesNotContain(source.password());
        assertThat(imported.err()).contains("import_data").contains("done");
        assertThat(psql(mainUri, "select count(*) from customers")).isEqualTo("40");
        source.exec("insert into customers(name) values ('fresh')");
        JsonObject resync = new JsonObject(arbor("import", "--resync", "-o", "json").ok().out());
        assertThat(resync.getJsonObject("operation").getString("status")).isEqualTo("finished");
        assertThat(resync.getJsonObject("operation").getJsonObject("progress").getString("phase")).isEqualTo("done");
        assertThat(psql(mainUri, "select count(*) from customers")).isEqualTo("41");
        assertThat(project.getJsonObject("project").getString("id")).isNotBlank();
    }
}
