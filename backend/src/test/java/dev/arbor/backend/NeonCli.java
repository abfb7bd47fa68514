package dev.arbor.backend;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Neon's own CLI (neonctl 5, from tools/ via scripts/install-deps) pointed at a test server, changed only by
 * --api-host and --api-key (plus a temp --config-dir and --no-analytics).
 */
final class NeonCli implements AutoCloseable {
    private final Path neonctl;
    private final Path home;
    private final TestServer server;

    record Run(int exit, String out) {
        JsonObject json() { return new JsonObject(out); }
        JsonArray array() { return new JsonArray(out); }
    }

    NeonCli(TestServer server) throws Exception {
        Path root = Path.of(System.getProperty("arbor.repoRoot", "..")).toAbsolutePath().normalize();
        neonctl = root.resolve("tools/node_modules/.bin/neonctl");
        if (!Files.isExecutable(neonctl)) {
            throw new IllegalStateException("neonctl is missing at " + neonctl + "; run scripts/install-deps (npm install neonctl@5 into tools/)");
        }
        this.server = server;
        home = Files.createTempDirectory("neonctl-home-");
    }

    Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(neonctl.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--api-host", server.base(), "--api-key", server.adminKey, "--config-dir", home.resolve("config").toString(),
                "--no-analytics"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(home.toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("CI", "true");
        pb.environment().put("NO_UPDATE_NOTIFIER", "1");
        pb.environment().remove("NEON_API_KEY");
        pb.environment().remove("NEON_API_HOST");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("neonctl " + String.join(" ", args) + " timed out");
        }
        return new Run(p.exitValue(), out.strip());
    }

    Run ok(String... args) throws Exception {
        Run r = run(args);
        assertThat(r.exit()).as("neonctl " + String.join(" ", args) + "\n" + r.out()).isZero();
        return r;
    }

    @Override
    public void close() throws Exception {
        try (var walk = Files.walk(home)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
