package dev.arbor.backend;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code arbor server} as a real process: first start writes the admin key (0600) and logs where, never
 * the key; after kill -9 the next start finds the orphaned metadata PostgreSQL, restarts it and keeps
 * every project; SIGTERM stops the metadata cluster. ARBOR_API_KEY presets the admin key.
 */
class ServerProcessTest {
    private static final Pattern READY = Pattern.compile("arbor ready: API (http://127\\.0\\.0\\.1:\\d+/api/v2)");
    private final HttpClient http = HttpClient.newHttpClient();

    record Running(Process process, String api, List<String> lines, Thread reader) {
        /** Waits for the process to exit and its output to be read to the end. */
        /** SIGTERM (as a service manager sends it), then wait; forcibly if it hangs. */
        void terminate() throws Exception {
            if (!process.isAlive()) return;
            new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
            if (!awaitExit()) process.destroyForcibly();
        }

        boolean awaitExit() throws InterruptedException {
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            reader.join(10_000);
            return exited;
        }
    }

    private static Running launch(Path dataDir, String presetKey) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.arbor.backend.Main",
                "server", "--data-dir", dataDir.toString(), "--api-port", "0", "--proxy-port", "0", "--no-compute");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("ARBOR_API_KEY");
        if (presetKey != null) pb.environment().put("ARBOR_API_KEY", presetKey);
        Process p = pb.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        LinkedBlockingQueue<String> api = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    Matcher m = READY.matcher(line);
                    if (m.find()) api.add(m.group(1));
                }
            } catch (IOException ignored) { }
        });
        String base = api.poll(120, TimeUnit.SECONDS);
        if (base == null) {
            p.destroyForcibly();
            throw new AssertionError("server did not become ready:\n" + String.join("\n", lines));
        }
        return new Running(p, base, lines, reader);
    }

    private HttpResponse<String> call(String method, String url, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) b.header("Authorization", "Bearer " + key);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** True once the pid is gone or a zombie (an exited daemon waits for its reaper in containers). */
    private static boolean gone(long pid) throws Exception {
        for (int i = 0; i < 100; i++) {
            Path stat = Path.of("/proc/" + pid + "/stat");
            if (!Files.exists(stat)) return true;
            try {
                String st = Files.readString(stat);
                if (st.substring(st.lastIndexOf(')') + 2).startsWith("Z")) return true;
            } catch (IOException e) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static long postmasterPid(Path dataDir) throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("metadata/data/postmaster.pid")).getFirst().trim());
    }

    @Test
    void killNineThenRestartKeepsEverything() throws Exception {
        Path dir = TestServer.newDir();
        Path data = dir.resolve("data");
        Running first = launch(data, null);
        try {
            Path keyFile = data.resolve(ArborServer.ADMIN_KEY_FILE);
            String key = Files.readString(keyFile).strip();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
            assertThat(String.join("\n", first.lines())).contains("admin API key written to " + keyFile).doesNotContain(key);
            String health = first.api().replace("/api/v2", "/healthz");
            assertThat(call("GET", health, null, null).statusCode()).isEqualTo(200);
            HttpResponse<String> created = call("POST", first.api() + "/projects", key, "{\"project\":{\"name\":\"survivor\"}}");
            assertThat(created.statusCode()).isEqualTo(201);
            String pid = new JsonObject(created.body()).getJsonObject("project").getString("id");

            long oldPostmaster = postmasterPid(data);
            first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertThat(ProcessHandle.of(oldPostmaster).map(ProcessHandle::isAlive)).as("orphaned metadata postgres").contains(true);

            Running second = launch(data, null);
            try {
                assertThat(String.join("\n", second.lines())).contains("found a running metadata PostgreSQL (pid " + oldPostmaster);
                assertThat(call("GET", second.api().replace("/api/v2", "/healthz"), null, null).statusCode()).isEqualTo(200);
                HttpResponse<String> got = call("GET", second.api() + "/projects/" + pid, key, null);
                assertThat(got.statusCode()).isEqualTo(200);
                assertThat(new JsonObject(got.body()).getJsonObject("project").getString("name")).isEqualTo("survivor");
                assertThat(Files.readString(keyFile).strip()).isEqualTo(key);  // not regenerated
                assertThat(gone(oldPostmaster)).as("orphaned postmaster was stopped").isTrue();
                long newPostmaster = postmasterPid(data);

                second.terminate();  // orderly shutdown
                assertThat(second.process().isAlive()).isFalse();
                assertThat(String.join("\n", second.lines())).as("exit " + second.process().exitValue())
                        .contains("metadata PostgreSQL stopped");
                assertThat(data.resolve("metadata/data/postmaster.pid")).doesNotExist();
                assertThat(gone(newPostmaster)).as("metadata postmaster exited").isTrue();
            } finally {
                second.terminate();
            }
        } finally {
            first.terminate();
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void presetAdminKeyFromEnvironment() throws Exception {
        Path dir = TestServer.newDir();
        String preset = "arb_preset-" + Long.toHexString(System.nanoTime()) + "-0123456789abcdef0123456789";
        Running r = launch(dir.resolve("data"), preset);
        try {
            assertThat(call("GET", r.api() + "/projects", preset, null).statusCode()).isEqualTo(200);
            assertThat(call("GET", r.api() + "/projects", "arb_other", null).statusCode()).isEqualTo(401);
            assertThat(Files.readString(dir.resolve("data").resolve(ArborServer.ADMIN_KEY_FILE)).strip()).isEqualTo(preset);
            assertThat(String.join("\n", r.lines())).doesNotContain(preset);
        } finally {
            r.terminate();
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
