package dev.arbor.backend.iac;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A raw HTTP client for the state backend: any method (LOCK, UNLOCK), bytes in and out, basic or bearer auth. */
final class StateHttp {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    StateHttp(String base) { this.base = base; }

    record Res(int status, byte[] body, HttpResponse<byte[]> raw) {
        String text() { return new String(body, StandardCharsets.UTF_8); }
        io.vertx.core.json.JsonObject json() { return new io.vertx.core.json.JsonObject(text()); }
        String header(String name) { return raw.headers().firstValue(name).orElse(null); }
        @Override public String toString() { return status + " " + (body.length > 500 ? text().substring(0, 500) + "…" : text()); }
    }

    static String basic(String key) {
        return "Basic " + Base64.getEncoder().encodeToString(("terraform:" + key).getBytes(StandardCharsets.UTF_8));
    }

    static String bearer(String key) { return "Bearer " + key; }

    Res call(String method, String path, byte[] body, String authorization) {
        return call(method, path, body, authorization, null);
    }

    Res call(String method, String path, byte[] body, String authorization, String contentMd5) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (authorization != null) b.header("Authorization", authorization);
        if (contentMd5 != null) b.header("Content-MD5", contentMd5);
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Res(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new RuntimeException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }
}
