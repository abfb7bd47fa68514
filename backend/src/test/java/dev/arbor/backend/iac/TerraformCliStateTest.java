package dev.arbor.backend.iac;

import dev.arbor.backend.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code terraform} CLI with Arbor as its {@code backend "http"}: init, apply, state list, a second
 * working directory refused by the lock (and shown the holder) while the first applies, and force-unlock.
 * Only the built-in {@code terraform_data} resource is used, so no provider download is needed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TerraformCliStateTest {
    private static final Path TERRAFORM = Path.of("/usr/local/bin/terraform");
    private TestServer s;
    private StateHttp http;
    private String project;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        if (!Files.isExecutable(TERRAFORM)) {
            throw new IllegalStateException("the terraform CLI is required at " + TERRAFORM + " (see scripts/install-deps)");
        }
        s = TestServer.start();
        http = new StateHttp(s.base());
        project = s.createProject("tf-cli").getJsonObject("project").getString("id");
        work = Files.createTempDirectory(s.dir, "tf-");
        Files.writeString(work.resolve("empty.tfrc"), "");
    }

    @AfterAll
    void stop() throws Exception { if (s != null) s.close(); }

    private String address(String name) { return s.base() + "/projects/" + project + "/terraform/state/" + name; }

    private Path config(String dirName, String stateName) throws IOException {
        Path dir = Files.createDirectories(work.resolve(dirName));
        String addr = address(stateName);
        Files.writeString(dir.resolve("main.tf"), """
                terraform {
                  backend "http" {
                    address        = "%1$s"
                    lock_address   = "%1$s"
                    unlock_address = "%1$s"
                  }
                }

                resource "terraform_data" "config" {
                  input = "hello"
                }

                # holds the apply (and so the state lock) until the test creates the release file
                resource "terraform_data" "gate" {
                  input = "gate"
                  provisioner "local-exec" {
                    command = "touch '%2$s/started'; i=0; while [ ! -f '%2$s/release' ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done"
                  }
                }
                """.formatted(addr, work));
        return dir;
    }

    private record Run(int exit, String output) {}

    private ProcessBuilder tf(Path dir, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(TERRAFORM.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        var env = pb.environment();
        env.put("TF_IN_AUTOMATION", "1");
        env.put("TF_INPUT", "0");
        env.put("CHECKPOINT_DISABLE", "1");
        env.put("NO_COLOR", "1");
        env.put("TF_CLI_CONFIG_FILE", work.resolve("empty.tfrc").toString());
        env.put("TF_HTTP_USERNAME", "arbor");
        env.put("TF_HTTP_PASSWORD", s.adminKey);
        env.remove("TF_LOG");
        return pb;
    }

    private Run run(Path dir, String... args) throws Exception {
        Path out = Files.createTempFile(work, "out-", ".log");
        Process p = tf(dir, args).redirectOutput(out.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("terraform " + String.join(" ", args) + " timed out: " + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private Run ok(Path dir, String... args) throws Exception {
        Run r = run(dir, args);
        assertThat(r.exit()).as("terraform " + String.join(" ", args) + ":\n" + r.output()).isZero();
        return r;
    }

    private JsonObject lockStatus(String name) {
        return new JsonObject(http.call("GET", "/projects/" + project + "/terraform/state/" + name + "/lock", null,
                StateHttp.bearer(s.adminKey)).text());
    }

    @Test
    void applyLockConflictAndForceUnlock() throws Exception {
        Path first = config("first", "app");
        Path second = config("second", "app");
        ok(first, "init", "-no-color");
        ok(second, "init", "-no-color");

        // first apply parks in the gate's provisioner while holding the lock
        Path firstLog = work.resolve("first-apply.log");
        Process apply = tf(first, "apply", "-auto-approve", "-no-color").redirectOutput(firstLog.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(work.resolve("started"))) {
                if (!apply.isAlive()) throw new AssertionError("first apply ended early: " + Files.readString(firstLog));
                if (System.nanoTime() > deadline) throw new AssertionError("gate never started: " + Files.readString(firstLog));
                Thread.sleep(100);
            }
            JsonObject held = lockStatus("app");
            assertThat(held.getBoolean("locked")).as(held.encode()).isTrue();
            String holderId = held.getJsonObject("lock").getString("ID");
            assertThat(held.getJsonObject("lock").getString("Operation")).isEqualTo("OperationTypeApply");

            Run refused = run(second, "apply", "-auto-approve", "-no-color", "-lock-timeout=0s");
            assertThat(refused.exit()).as(refused.output()).isNotZero();
            // Terraform 1.11 names the holder as "already locked: ID=<holder>" (the LockInfo it prints below is its own)
            assertThat(refused.output()).contains("Error acquiring the state lock").contains("already locked").contains("ID=" + holderId);
        } finally {
            Files.writeString(work.resolve("release"), "go");
            if (!apply.waitFor(120, TimeUnit.SECONDS)) apply.destroyForcibly();
        }
        assertThat(apply.exitValue()).as(Files.readString(firstLog)).isZero();
        assertThat(lockStatus("app").getBoolean("locked")).isFalse();

        Run list = ok(second, "state", "list", "-no-color");
        assertThat(list.output().lines().map(String::strip).toList())
                .contains("terraform_data.config", "terraform_data.gate");
        JsonArray versions = new JsonObject(http.call("GET", "/projects/" + project + "/terraform/state/app/versions", null,
                StateHttp.bearer(s.adminKey)).text()).getJsonArray("versions");
        assertThat(versions.size()).isGreaterThanOrEqualTo(1);
        JsonObject stored = new JsonObject(http.call("GET", "/projects/" + project + "/terraform/state/app", null,
                StateHttp.bearer(s.adminKey)).text());
        assertThat(stored.getString("lineage")).isEqualTo(versions.getJsonObject(0).getString("lineage"));
        assertThat(stored.getJsonArray("resources").size()).isEqualTo(2);

        // a lock left behind by a crashed run: refused, then cleared with force-unlock
        String ghost = "0b5e7f1c-dead-4bee-9f00-000000000001";
        byte[] info = new JsonObject().put("ID", ghost).put("Operation", "OperationTypeApply").put("Who", "ghost@crashed-ci")
                .put("Version", "1.11.4").put("Created", "2026-11-25T20:00:00Z").put("Info", "").put("Path", "")
                .encode().getBytes(StandardCharsets.UTF_8);
        assertThat(http.call("LOCK", "/projects/" + project + "/terraform/state/app", info, StateHttp.bearer(s.adminKey)).status()).isEqualTo(200);
        Run blocked = run(second, "plan", "-no-color", "-lock-timeout=0s");
        assertThat(blocked.exit()).isNotZero();
        assertThat(blocked.output()).contains("Error acquiring the state lock").contains("ID=" + ghost);
        Run unlocked = ok(second, "force-unlock", "-force", ghost);
        assertThat(unlocked.output()).containsIgnoringCase("successfully unlocked");
        assertThat(lockStatus("app").getBoolean("locked")).isFalse();
        Run plan = run(second, "plan", "-no-color", "-lock-timeout=0s", "-detailed-exitcode");
        assertThat(plan.exit()).as("no changes after the first apply:\n" + plan.output()).isZero();
    }
}
