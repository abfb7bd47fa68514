package dev.arbor.provider.it;

import dev.arbor.provider.client.ArborApi;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The real Arbor server ({@code ./arbor server} from the repository root) as a separate process with a
 * temp data dir and free ports, shared by every acceptance test in the JVM. The provider module never
 * links backend classes: it only talks HTTP, as users do.
 */
public final class ArborBackend {
    private static ArborBackend instance;

    public final String apiUrl;
    public final String apiKey;
    public final Path dataDir;
    private final Process process;

    private ArborBackend(String apiUrl, String apiKey, Path dataDir, Process process) {
        this.apiUrl = apiUrl;
        this.apiKey = apiKey;
        this.dataDir = dataDir;
        this.process = process;
    }

    public static synchronized ArborBackend get() throws Exception {
        if (instance == null) {
            instance = start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> instance.stop()));
        }
        return instance;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ArborBackend start() throws Exception {
        Path root = Path.of(System.getProperty("arbor.repo.root", "..")).toAbsolutePath().normalize();
        Path launcher = root.resolve("arbor");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("the Arbor server launcher " + launcher + " is missing");
        }
        if (!Files.isRegularFile(root.resolve("backend/target/arbor-backend.jar"))) {
            throw new IllegalStateException("backend/target/arbor-backend.jar is not built: build the backend module "
                    + "first (the reactor builds backend before provider; or ./mvnw -pl backend -am package -DskipTests)");
        }
        Path data = Files.createTempDirectory("arbor-it-data-");
        int apiPort = freePort();
        int proxyPort = freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "server", "--data-dir", data.toString(),
                "--api-port", Integer.toString(apiPort), "--proxy-port", Integer.toString(proxyPort))
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64");
        Process p = pb.start();
        String url = "http://127.0.0.1:" + apiPort + "/api/v2";
        Path keyFile = data.resolve("admin-api-key");
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("arbor server exited with " + p.exitValue() + "; log:\n"
                        + Files.readString(log));
            }
            if (Files.isRegularFile(keyFile)) {
                String key = Files.readString(keyFile).trim();
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/projects"))
                            .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return new ArborBackend(url, key, data, p);
                    }
                } catch (IOException notYet) {
                    // still starting
                }
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("arbor server did not answer within 120 s; log:\n" + Files.readString(log));
            }
            Thread.sleep(250);
        }
    }

    /** The provider's own HTTP client, for out-of-band changes (drift) and checks. */
    public ArborApi api() {
        return new ArborApi(apiUrl, apiKey, () -> false);
    }

    public Map<String, String> env() {
        return Map.of("ARBOR_API_URL", apiUrl, "ARBOR_API_KEY", apiKey);
    }

    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
        }
        // The data dir holds PostgreSQL clusters and layers; keep it only when asked (debugging).
        if (!Boolean.getBoolean("arbor.it.keep")) {
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
        }
    }
}
