package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.it.ArborBackend;
import dev.arbor.provider.resource.State;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client we did not write: {@code src/test/node/pulumi-engine-sim.js} drives the packaged plugin with the
 * gRPC stubs shipped in npm {@code @pulumi/pulumi} over {@code @grpc/grpc-js} (installed into the repo's
 * {@code tools/} by scripts/install-deps). This test checks the server between the simulator's steps.
 */
class PulumiNodeClientIT {

    @Test
    void pulumiNodeStubsDriveABranchThroughItsLifeCycle() throws Exception {
        Path root = Path.of(System.getProperty("arbor.repo.root", "..")).toAbsolutePath().normalize();
        Path modules = root.resolve("tools/node_modules");
        for (String need : List.of("@pulumi/pulumi/proto/provider_grpc_pb.js", "@grpc/grpc-js/package.json",
                "google-protobuf/google/protobuf/struct_pb.js")) {
            if (!Files.isRegularFile(modules.resolve(need))) {
                throw new IllegalStateException(modules.resolve(need) + " is missing: run scripts/install-deps "
                        + "(it installs @pulumi/pulumi and @grpc/grpc-js into tools/)");
            }
        }
        String node = which("node");
        ArborBackend backend = ArborBackend.get();
        ArborApi http = backend.api();
        Map<String, Object> resp = http.post("/projects", Map.of("project", Map.of("name", "pulumi-node")));
        String projectId = State.str(State.obj(resp, "project"), "id");
        http.awaitOperations(projectId, resp);
        Path plugin = PulumiPlugin.unpack().resolve("pulumi-resource-arbor");

        ProcessBuilder pb = new ProcessBuilder(node, root.resolve("provider/src/test/node/pulumi-engine-sim.js").toString(),
                modules.toString(), plugin.toString(), projectId).redirectErrorStream(true);
        pb.environment().putAll(backend.env());
        Process p = pb.start();
        List<String> transcript = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            String id = null;
            for (String line; (line = out.readLine()) != null; ) {
                transcript.add(line);
                if (line.startsWith("CREATED ")) {
                    id = line.substring(8);
                    Map<String, Object> b = branch(http, projectId, id);
                    assertThat(b).as("branch %s exists after Create", id).isNotNull();
                    assertThat(State.str(b, "name")).startsWith("pulumi-node-");
                    in.write("\n");
                    in.flush();
                } else if (line.startsWith("UPDATED ")) {
                    assertThat(State.str(branch(http, projectId, id), "name")).endsWith("-b");
                    in.write("\n");
                    in.flush();
                }
            }
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as("simulator exit; transcript:\n%s", String.join("\n", transcript)).isZero();
            assertThat(transcript).contains("DONE");
            assertThat(id).isNotNull();
            assertThat(branch(http, projectId, id)).as("deleted on the server").isNull();
        } finally {
            p.destroyForcibly();
            State.ignoreGone(() -> http.mutate("DELETE", projectId, "/projects/" + projectId, null));
        }
    }

    private static Map<String, Object> branch(ArborApi http, String projectId, String id) {
        return State.orNullIfGone(() -> State.obj(http.get("/projects/" + projectId + "/branches/" + id), "branch"));
    }

    private static String which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException(tool + " is not on PATH: run scripts/install-deps (it installs nodejs)");
    }
}
