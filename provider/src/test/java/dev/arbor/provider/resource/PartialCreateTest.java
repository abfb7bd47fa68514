package dev.arbor.provider.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.arbor.provider.client.ArborApi;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A create whose operation fails still hands Terraform the new object's id, so it is tracked, not orphaned. */
class PartialCreateTest {
    @Test
    void failedOperationAfterCreateKeepsTheId() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/", ex -> {
            String path = ex.getRequestURI().getPath();
            String body = path.endsWith("/branches")
                    ? "{\"branch\":{\"id\":\"br-new\"},\"operations\":[{\"id\":\"op-1\",\"status\":\"running\"}]}"
                    : "{\"operation\":{\"id\":\"op-1\",\"status\":\"failed\",\"error\":\"timeline creation failed\"}}";
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(path.endsWith("/branches") ? 201 : 200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        try {
            ArborApi api = new ArborApi("http://127.0.0.1:" + server.getAddress().getPort(), "k", () -> false);
            BranchResource branch = new BranchResource();
            Map<String, Object> planned = State.empty(branch.schema());
            planned.put("project_id", "p-1");
            planned.put("name", "dev");
            planned.put("protected", false);
            planned.put("schema_only", false);
            assertThatThrownBy(() -> ResourceEngine.apply(branch, api, null, planned))
                    .isInstanceOfSatisfying(PartialCreate.class, e -> {
                        assertThat(e.state()).containsEntry("id", "br-new").containsEntry("project_id", "p-1");
                        assertThat(e.getCause()).hasMessageContaining("timeline creation failed");
                    });
        } finally {
            server.stop(0);
        }
    }
}
