package dev.arbor.provider.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP client against a scripted local server (unit isolation from the backend). */
class ArborApiTest {
    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger locked = new AtomicInteger();
    private final AtomicInteger polls = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        seen.add(ex.getRequestMethod() + " " + path + " auth=" + ex.getRequestHeaders().getFirst("Authorization"));
        if (path.endsWith("/branches/br-gone")) {  // Neon's answer to deleting what is already gone
            ex.sendResponseHeaders(204, -1);
            ex.close();
            return;
        }
        String body;
        int status = 200;
        if (path.endsWith("/branches") && locked.getAndIncrement() < 2) {
            status = 423;
            body = "{\"code\":\"LOCKED\",\"message\":\"project already has running conflicting operations\"}";
        } else if (path.endsWith("/branches")) {
            status = 201;
            body = "{\"branch\":{\"id\":\"br-1\"},\"operations\":[{\"id\":\"op-1\",\"status\":\"running\"}]}";
        } else if (path.endsWith("/operations/op-1")) {
            body = "{\"operation\":{\"id\":\"op-1\",\"status\":\"" + (polls.incrementAndGet() < 3 ? "running" : "finished")
                    + "\"}}";
        } else if (path.endsWith("/operations/op-bad")) {
            body = "{\"operation\":{\"id\":\"op-bad\",\"status\":\"failed\",\"error\":\"disk full\"}}";
        } else {
            status = 404;
            body = "{\"code\":\"NOT_FOUND\",\"message\":\"no such project\",\"request_id\":\"r-1\"}";
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private ArborApi api() {
        return new ArborApi("http://127.0.0.1:" + server.getAddress().getPort(), "secret-key", () -> false);
    }

    @Test
    void retriesLockedThenWaitsForTheOperation() {
        Map<String, Object> resp = api().mutate("POST", "p-1", "/projects/p-1/branches", Map.of("branch", Map.of()));
        assertThat(resp).containsKey("branch");
        assertThat(seen.stream().filter(s -> s.startsWith("POST")).count()).isEqualTo(3);
        assertThat(polls.get()).isEqualTo(3);
        assertThat(seen).allMatch(s -> s.endsWith("auth=Bearer secret-key"));
    }

    @Test
    void deleteOfWhatIsAlreadyGoneSucceeds() {
        assertThat(api().mutate("DELETE", "p-1", "/projects/p-1/branches/br-gone", null)).isNull();
        assertThat(seen).containsExactly("DELETE /api/v2/projects/p-1/branches/br-gone auth=Bearer secret-key");
    }

    @Test
    void failedOperationsAndApiErrorsSurfaceNeonsMessage() {
        assertThatThrownBy(() -> api().awaitOperations("p-1",
                Map.of("operations", List.of(Map.of("id", "op-bad", "status", "running")))))
                .isInstanceOf(ApiException.class).hasMessageContaining("failed").hasMessageContaining("disk full");
        assertThatThrownBy(() -> api().get("/projects/nope"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.notFound()).isTrue();
                    assertThat(e.code()).isEqualTo("NOT_FOUND");
                    assertThat(e.requestId()).isEqualTo("r-1");
                });
    }

    @Test
    void baseUrlGetsTheApiPrefixOnlyWhenItHasNoPath() {
        assertThat(ArborApi.normalize("http://h:1")).isEqualTo("http://h:1/api/v2");
        assertThat(ArborApi.normalize("https://h/api/v2/")).isEqualTo("https://h/api/v2");
        assertThatThrownBy(() -> ArborApi.normalize("localhost:8080")).hasMessageContaining("http(s) URL");
    }

    @Test
    void stopInterruptsRetries() {
        ArborApi stopped = new ArborApi("http://127.0.0.1:" + server.getAddress().getPort(), null, () -> true);
        assertThatThrownBy(() -> stopped.get("/projects/x")).hasMessageContaining("interrupted");
    }

    @Test
    void jsonRoundTrip() {
        Object v = Json.parse("{\"a\":[1,2.5,\"x\\n\\u00e9\"],\"b\":null,\"c\":true}");
        assertThat(Json.write(v)).isEqualTo("{\"a\":[1,2.5,\"x\\né\"],\"b\":null,\"c\":true}");
    }
}
