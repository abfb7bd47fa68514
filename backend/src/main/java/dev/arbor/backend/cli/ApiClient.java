package dev.arbor.backend.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The Arbor HTTP API as the CLI uses it: JSON in and out, bearer key, and every non-2xx answer turned into
 * a {@link CliError} carrying the API's own {@code code} and {@code message}. 423 (an operation on the same
 * branch is still running) is retried for a while, as neonctl and the Terraform providers do.
 */
final class ApiClient {
    private static final Duration LOCKED_RETRY_FOR = Duration.ofSeconds(120);

    private final String base;
    private final String key;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    ApiClient(String base, String key) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.key = key;
    }

    JsonObject get(String path) { return call("GET", path, null); }
    JsonObject post(String path, JsonObject body) { return call("POST", path, body == null ? new JsonObject() : body); }
    JsonObject delete(String path) { return call("DELETE", path, null); }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    private JsonObject call(String method, String path, JsonObject body) {
        long deadline = System.nanoTime() + LOCKED_RETRY_FOR.toNanos();
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r = send(method, path, body);
            if (r.statusCode() / 100 == 2) {
                String raw = r.body();
                return raw == null || raw.isBlank() ? new JsonObject() : parse(raw, method, path);
            }
            if (r.statusCode() == 423 && System.nanoTime() < deadline) {
                sleep(Math.min(2000, 200L * (attempt + 1)));
                continue;
            }
            throw error(r, method, path);
        }
    }

    private HttpResponse<String> send(String method, String path, JsonObject body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + key).header("Accept", "application/json");
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliError(CliError.API, "cannot reach the Arbor API at " + base + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); is `arbor server` running? (--api-url)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError(CliError.API, "interrupted");
        }
    }

    private static JsonObject parse(String raw, String method, String path) {
        try {
            return new JsonObject(raw);
        } catch (DecodeException | ClassCastException e) {
            throw new CliError(CliError.API, method + " " + path + ": the API answered with something that is not a JSON object");
        }
    }

    private static CliError error(HttpResponse<String> r, String method, String path) {
        String code = "HTTP_" + r.statusCode();
        String message = r.body() == null ? "" : r.body().strip();
        try {
            JsonObject j = new JsonObject(r.body());
            code = j.getString("code", code);
            message = j.getString("message", message);
        } catch (RuntimeException notJson) {
            // keep the raw body
        }
        return new CliError(CliError.API, message + " (" + r.statusCode() + " " + code + ")");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError(CliError.API, "interrupted");
        }
    }
}
