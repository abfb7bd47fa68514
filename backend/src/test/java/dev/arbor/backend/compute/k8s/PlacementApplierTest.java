package dev.arbor.backend.compute.k8s;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.arbor.backend.compute.ConfigScripts;
import dev.arbor.backend.ops.EndpointSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Unit level only: the requests {@link PlacementApplier} makes through fabric8's real client (JDK HTTP
 * transport), recorded by a loopback HTTP listener that echoes objects back. This is not a Kubernetes API
 * server and proves nothing about admission, scheduling or the kubelet: the applier has never run against a
 * real cluster.
 */
class PlacementApplierTest {
    record Request(String method, String path, String query, String contentType, String body) {}

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private HttpServer http;

    @AfterEach
    void stop() {
        if (http != null) http.stop(0);
    }

    private PlacementApplier applier() throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", this::answer);
        http.start();
        return applierAt("http://127.0.0.1:" + http.getAddress().getPort());
    }

    private static PlacementApplier applierAt(String url) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url).withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(5_000).withRequestTimeout(10_000).build();
        return new PlacementApplier(new KubernetesClientBuilder().withConfig(config).build());
    }

    private void answer(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(new Request(x.getRequestMethod(), x.getRequestURI().getPath(), x.getRequestURI().getQuery(),
                x.getRequestHeaders().getFirst("Content-Type"), body));
        String answer;
        if (status != 200) {
            answer = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"pods is forbidden: "
                    + "User cannot patch resource\",\"reason\":\"Forbidden\",\"code\":" + status + "}";
        } else if (x.getRequestMethod().equals("PATCH")) {
            HasMetadata o = Serialization.unmarshal(body); // server-side apply answers with the object
            answer = Serialization.asJson(o);
        } else {
            answer = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    @Test
    void appliesTheSecretThenThePodServerSideWithoutThePassword() throws IOException {
        EndpointSpec spec = PodPlacementTest.spec("read_write", 0.25, 1);
        EndpointPlacement placed = new PodPlacement(PodPlacementTest.SETTINGS).place(spec, ConfigScripts.of(spec));
        try (PlacementApplier applier = applier()) {
            applier.apply(placed);
            applier.suspend("arbor-endpoints", spec.endpointId());
        }
        assertThat(requests).hasSize(3);
        Request secret = requests.get(0), pod = requests.get(1), delete = requests.get(2);
        assertThat(secret.method()).isEqualTo("PATCH");
        assertThat(secret.path()).isEqualTo("/api/v1/namespaces/arbor-endpoints/secrets/arbor-" + spec.endpointId() + "-config");
        assertThat(pod.method()).isEqualTo("PATCH");
        assertThat(pod.path()).isEqualTo("/api/v1/namespaces/arbor-endpoints/pods/arbor-" + spec.endpointId());
        for (Request r : List.of(secret, pod)) {
            assertThat(r.contentType()).startsWith("application/apply-patch+yaml");
            assertThat(r.query()).contains("fieldManager=arbor").contains("force=true");
        }
        assertThat(pod.body()).contains("HostToContainer").doesNotContain(PodPlacementTest.PASSWORD).doesNotContain("SCRAM-SHA-256$");
        assertThat(secret.body()).contains("SCRAM-SHA-256$").doesNotContain(PodPlacementTest.PASSWORD);
        assertThat(delete.method()).isEqualTo("DELETE");
        assertThat(delete.path()).isEqualTo("/api/v1/namespaces/arbor-endpoints/pods/arbor-" + spec.endpointId());
    }

    @Test
    void aRefusalNamesTheObjectAndStopsBeforeThePod() throws IOException {
        EndpointSpec spec = PodPlacementTest.spec("read_write", 0.25, 1);
        EndpointPlacement placed = new PodPlacement(PodPlacementTest.SETTINGS).place(spec, ConfigScripts.of(spec));
        status = 403;
        try (PlacementApplier applier = applier()) {
            assertThatThrownBy(() -> applier.apply(placed))
                    .isInstanceOf(PlacementApplier.PlacementFailed.class)
                    .hasMessageContaining("Secret arbor-endpoints/arbor-" + spec.endpointId() + "-config")
                    .hasMessageContaining("HTTP 403").hasMessageContaining("forbidden")
                    .hasMessageNotContaining("SCRAM-SHA-256$");
        }
        assertThat(requests).hasSize(1);
    }

    @Test
    void anUnreachableApiServerIsReportedAsSuch() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        EndpointSpec spec = PodPlacementTest.spec("read_write", 0.25, 1);
        EndpointPlacement placed = new PodPlacement(PodPlacementTest.SETTINGS).place(spec, ConfigScripts.of(spec));
        try (PlacementApplier applier = applierAt("http://127.0.0.1:" + closed)) {
            assertThatThrownBy(() -> applier.apply(placed))
                    .isInstanceOf(PlacementApplier.PlacementFailed.class).hasMessageContaining("unreachable");
        }
    }
}
