package dev.arbor.provider.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Arbor's Neon-compatible HTTP API. Thread-safe: RPCs run concurrently and share one instance.
 * 423 (a conflicting operation runs), 429 and 503 are retried with capped exponential backoff;
 * mutating calls wait for the operations they return.
 */
public final class ArborApi {
    public static final String USER_AGENT = "terraform-provider-arbor/" + Version.VALUE;
    private static final Duration RETRY_BUDGET = Duration.ofMinutes(5);
    private static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(15);

    private final String baseUrl;
    private final String apiKey;
    private final BooleanSupplier stopped;
    private volatile HttpClient http;
    private volatile Thread warming;

    public ArborApi(String apiUrl, String apiKey, BooleanSupplier stopped) {
        this.baseUrl = normalize(apiUrl);
        this.apiKey = apiKey;
        this.stopped = stopped;
    }

    /** Created on first use: most launches (schema, validate) never call the API. */
    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                h = http;
                if (h == null) {
                    HttpClient.Builder b = HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(10))
                            .version(HttpClient.Version.HTTP_1_1);
                    if (baseUrl.startsWith("http:")) {
                        b.sslContext(NoTls.context());
                    }
                    h = b.build();
                    http = h;
                }
            }
        }
        return h;
    }

    /**
     * Builds the HTTP client on a background thread. Called once the provider is configured: Terraform's first
     * read follows within milliseconds, and the client's set-up then overlaps with the RPCs before it.
     */
    public void warmUp() {
        warming = Thread.ofVirtual().start(this::http);
    }

    /**
     * Stops the HTTP client's selector thread, if one was started (before the JVM halts: the VM waits up to
     * 300 ms at exit for threads blocked in native code).
     */
    public void close(java.time.Duration wait) {
        Thread w = warming;
        if (w != null) {
            try {
                w.join(wait); // a client still being built would otherwise escape the shutdown below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        HttpClient h = http;
        if (h != null) {
            h.shutdownNow();
            try {
                h.awaitTermination(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code http://host:port} gets Neon's {@code /api/v2} prefix; an explicit path is kept. */
    public static String normalize(String apiUrl) {
        String u = apiUrl.trim();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        URI uri = URI.create(u);
        if (uri.getScheme() == null || uri.getHost() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new IllegalArgumentException("must be an http(s) URL such as http://localhost:8080/api/v2, got \""
                    + apiUrl + "\"");
        }
        if (uri.getPath() == null || uri.getPath().isEmpty()) {
            u = u + "/api/v2";
        }
        return u;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Map<String, Object> get(String path) {
        return call("GET", path, null);
    }

    public Map<String, Object> post(String path, Object body) {
        return call("POST", path, body);
    }

    public Map<String, Object> patch(String path, Object body) {
        return call("PATCH", path, body);
    }

    public Map<String, Object> delete(String path) {
        return call("DELETE", path, null);
    }

    /** A mutating call followed by a wait for every operation in its response. */
    public Map<String, Object> mutate(String method, String projectId, String path, Object body) {
        Map<String, Object> resp = call(method, path, body);
        awaitOperations(projectId, resp);
        return resp;
    }

    @SuppressWarnings("unchecked")
    public void awaitOperations(String projectId, Map<String, Object> resp) {
        if (resp == null || !(resp.get("operations") instanceof List<?> ops)) {
            return;
        }
        for (Object o : ops) {
            Map<String, Object> op = (Map<String, Object>) o;
            String id = (String) op.get("id");
            String pid = op.get("project_id") instanceof String s ? s : projectId;
            awaitOperation(pid, id, (String) op.get("status"));
        }
    }

    @SuppressWarnings("unchecked")
    private void awaitOperation(String projectId, String operationId, String status) {
        long deadline = System.nanoTime() + OPERATION_TIMEOUT.toNanos();
        long delayMs = 50;
        while (true) {
            if ("finished".equals(status) || "skipped".equals(status)) {
                return;
            }
            if ("failed".equals(status) || "error".equals(status) || "cancelled".equals(status)
                    || "cancelling".equals(status)) {
                Map<String, Object> op = get("/projects/" + enc(projectId) + "/operations/" + enc(operationId));
                Object err = ((Map<String, Object>) op.get("operation")).get("error");
                throw new ApiException(500, "OPERATION_FAILED", "operation " + operationId + " " + status
                        + (err == null ? "" : ": " + err), null);
            }
            if (System.nanoTime() > deadline) {
                throw new ApiException(504, "OPERATION_TIMEOUT", "operation " + operationId
                        + " did not finish within " + OPERATION_TIMEOUT.toMinutes() + " minutes (status " + status + ")",
                        null);
            }
            sleep(delayMs);
            delayMs = Math.min(delayMs * 2, 1000);
            Map<String, Object> op = get("/projects/" + enc(projectId) + "/operations/" + enc(operationId));
            status = (String) ((Map<String, Object>) op.get("operation")).get("status");
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(String method, String path, Object body) {
        long deadline = System.nanoTime() + RETRY_BUDGET.toNanos();
        long delayMs = 200;
        int connectFailures = 0;
        while (true) {
            if (stopped.getAsBoolean()) {
                throw new ApiException(499, "INTERRUPTED", "interrupted: Terraform asked the provider to stop", null);
            }
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(baseUrl + path))
                    .timeout(Duration.ofMinutes(2))
                    .header("Accept", "application/json")
                    .header("User-Agent", USER_AGENT);
            if (apiKey != null && !apiKey.isEmpty()) {
                rb.header("Authorization", "Bearer " + apiKey);
            }
            if (body != null) {
                rb.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
            } else {
                rb.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> resp;
            try {
                resp = http().send(rb.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                // A refused connection is not retried forever: the URL is most likely wrong.
                if (++connectFailures > 3 || System.nanoTime() > deadline) {
                    throw new ApiException(0, "CONNECTION_FAILED", "cannot reach " + baseUrl + ": " + e, null);
                }
                sleep(delayMs);
                delayMs = Math.min(delayMs * 2, 3000);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(499, "INTERRUPTED", "interrupted", null);
            }
            int st = resp.statusCode();
            if ((st == 423 || st == 429 || st == 503) && System.nanoTime() < deadline) {
                long wait = retryAfterMs(resp).orElse(delayMs + (long) (Math.random() * delayMs / 2));
                sleep(wait);
                delayMs = Math.min(delayMs * 2, 3000);
                continue;
            }
            String text = resp.body();
            if (st >= 200 && st < 300) {
                if (text == null || text.isBlank()) {
                    return null;
                }
                return (Map<String, Object>) Json.parse(text);
            }
            String code = null;
            String message = text;
            String requestId = null;
            try {
                if (Json.parse(text) instanceof Map<?, ?> m) {
                    code = m.get("code") instanceof String c ? c : null;
                    message = m.get("message") instanceof String s ? s : text;
                    requestId = m.get("request_id") instanceof String r ? r : null;
                }
            } catch (RuntimeException notJson) {
                // keep the raw body as the message
            }
            throw new ApiException(st, code, message, requestId);
        }
    }

    private static java.util.OptionalLong retryAfterMs(HttpResponse<?> resp) {
        return resp.headers().firstValue("Retry-After").map(v -> {
            try {
                return java.util.OptionalLong.of(Math.min(Long.parseLong(v.trim()) * 1000, 10_000));
            } catch (NumberFormatException e) {
                return java.util.OptionalLong.empty();
            }
        }).orElse(java.util.OptionalLong.empty());
    }

    private void sleep(long ms) {
        try {
            long end = System.currentTimeMillis() + ms;
            while (System.currentTimeMillis() < end) {
                if (stopped.getAsBoolean()) {
                    throw new ApiException(499, "INTERRUPTED", "interrupted: Terraform asked the provider to stop",
                            null);
                }
                Thread.sleep(Math.min(50, Math.max(1, end - System.currentTimeMillis())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(499, "INTERRUPTED", "interrupted", null);
        }
    }
}
