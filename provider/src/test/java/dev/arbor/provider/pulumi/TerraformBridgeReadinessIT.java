package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.arbor.provider.it.ArborBackend;
import dev.arbor.provider.plugin.GoPluginClient;
import dev.arbor.provider.proto.goplugin.GRPCControllerGrpc;
import dev.arbor.provider.proto.goplugin.GoPlugin;
import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.resource.State;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.value.Msgpack;
import dev.arbor.provider.value.TfType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * What pulumi-terraform-bridge's dynamic provider ({@code pulumi package add terraform-provider <path>})
 * needs from the packaged Terraform provider, checked with a Java go-plugin client launched the way the
 * bridge launches it (AutoMTLS, protocols 5 and 6 offered): the handshake, a schema in which every resource
 * has a computed-only string {@code id}, and import of a branch (ImportResourceState, then ReadResource).
 */
class TerraformBridgeReadinessIT {

    static Path unpackTerraformProvider() throws Exception {
        String zip = System.getProperty("arbor.provider.zip");
        if (zip == null || !Files.isRegularFile(Path.of(zip))) {
            throw new IllegalStateException("the Terraform provider package " + zip + " is missing: run the package phase");
        }
        Path dir = Files.createTempDirectory("tf-provider-");
        try (ZipFile z = new ZipFile(zip)) {
            for (var e : java.util.Collections.list(z.entries())) {
                Path out = dir.resolve(e.getName());
                try (var in = z.getInputStream(e)) {
                    Files.copy(in, out);
                }
            }
        }
        Path binary = dir.resolve("terraform-provider-arbor_v" + System.getProperty("arbor.provider.version", "0.1.0"));
        assertThat(binary.toFile().setExecutable(true)).isTrue();
        return binary;
    }

    @Test
    void dynamicBridgeCanLaunchDescribeAndImport() throws Exception {
        ArborBackend backend = ArborBackend.get();
        Map<String, Object> resp = backend.api().post("/projects", Map.of("project", Map.of("name", "bridge-check")));
        String projectId = State.str(State.obj(resp, "project"), "id");
        backend.api().awaitOperations(projectId, resp);
        Map<String, Object> branchResp = backend.api().post("/projects/" + projectId + "/branches",
                Map.of("branch", Map.of("name", "bridge-import")));
        String branchId = State.str(State.obj(branchResp, "branch"), "id");
        backend.api().awaitOperations(projectId, branchResp);

        try (GoPluginClient tf = GoPluginClient.launch(unpackTerraformProvider(), "5,6", backend.env())) {
            // go-plugin negotiates: the provider picks 6 out of the offered 5,6 and serves TLS with the advertised cert.
            assertThat(tf.handshake[0]).isEqualTo("1");
            assertThat(tf.handshake[1]).isEqualTo("6");
            assertThat(tf.handshake[3]).startsWith("127.0.0.1:");
            var stub = ProviderGrpc.newBlockingStub(tf.channel).withDeadlineAfter(5, TimeUnit.MINUTES);

            var schema = stub.getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance());
            assertThat(schema.getDiagnosticsList()).isEmpty();
            assertThat(schema.getResourceSchemasMap().keySet())
                    .containsExactlyInAnyOrderElementsOf(new ArborProvider().resources().keySet());
            schema.getResourceSchemasMap().forEach((type, s) -> {
                var id = s.getBlock().getAttributesList().stream().filter(a -> a.getName().equals("id")).findFirst();
                assertThat(id).as("%s has an id attribute", type).isPresent();
                assertThat(id.get().getType().toStringUtf8()).as("%s.id type", type).isEqualTo("\"string\"");
                assertThat(id.get().getComputed()).as("%s.id computed", type).isTrue();
                assertThat(id.get().getOptional() || id.get().getRequired()).as("%s.id computed-only", type).isFalse();
            });
            assertThat(schema.getDataSourceSchemasMap()).isNotEmpty();

            stub.configureProvider(Tfplugin6.ConfigureProvider.Request.newBuilder()
                    .setConfig(dynamic(ArborProvider.CONFIG.objectType(), Map.of())).build());

            // The bridge imports as Terraform does: ImportResourceState with the import ID, then ReadResource.
            var imported = stub.importResourceState(Tfplugin6.ImportResourceState.Request.newBuilder()
                    .setTypeName("arbor_branch").setId(projectId + "/" + branchId).build());
            assertThat(imported.getDiagnosticsList()).isEmpty();
            assertThat(imported.getImportedResourcesList()).hasSize(1);
            var state = imported.getImportedResources(0).getState();
            var read = stub.readResource(Tfplugin6.ReadResource.Request.newBuilder().setTypeName("arbor_branch")
                    .setCurrentState(state).build());
            assertThat(read.getDiagnosticsList()).isEmpty();
            var branchType = new ArborProvider().resource("arbor_branch").schema().objectType();
            @SuppressWarnings("unchecked")
            Map<String, Object> fresh = (Map<String, Object>) Msgpack.decode(read.getNewState().getMsgpack().toByteArray(),
                    branchType);
            assertThat(fresh).containsEntry("id", branchId).containsEntry("project_id", projectId)
                    .containsEntry("name", "bridge-import");
            assertThat(fresh.get("created_at")).isNotNull();

            // A malformed import ID is a diagnostic, not a crash.
            var bad = stub.importResourceState(Tfplugin6.ImportResourceState.Request.newBuilder()
                    .setTypeName("arbor_branch").setId(branchId).build());
            assertThat(bad.getDiagnosticsList()).extracting(Tfplugin6.Diagnostic::getSummary)
                    .contains("Invalid import ID");

            try {
                GRPCControllerGrpc.newBlockingStub(tf.channel).shutdown(GoPlugin.Empty.getDefaultInstance());
            } catch (io.grpc.StatusRuntimeException e) {
                // The provider exits right after replying; on a loaded machine the reply can lose that race
                // (go-plugin ignores the Shutdown result too). Exiting is what counts.
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
            }
            assertThat(tf.process.waitFor(60, TimeUnit.SECONDS)).as("the provider exits after Shutdown").isTrue();
        } finally {
            State.ignoreGone(() -> backend.api().mutate("DELETE", projectId, "/projects/" + projectId, null));
        }
    }

    private static Tfplugin6.DynamicValue dynamic(TfType.ObjectOf type, Map<String, Object> values) {
        Map<String, Object> full = new java.util.LinkedHashMap<>();
        type.attributes().keySet().forEach(k -> full.put(k, values.get(k)));
        return Tfplugin6.DynamicValue.newBuilder().setMsgpack(ByteString.copyFrom(Msgpack.encode(full, type))).build();
    }
}
