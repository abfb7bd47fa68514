package dev.arbor.provider.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.tf.ProviderService;
import io.grpc.ManagedChannel;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Handshake line and AutoMTLS with a P-521 client certificate, as Terraform's Go client presents. */
class PluginServerTest {
    @Test
    void handshakeAdvertisesThePinnedCertificateAndServesOverMutualTls() throws Exception {
        AutoMtls terraform = GoPluginClient.clientCertificate();
        PluginServer server = PluginServer.start(new ProviderService(new ArborProvider(), Map.of()),
                AutoMtls.parsePem(terraform.pem()), () -> {});
        try {
            String[] parts = server.handshakeLine().split("\\|");
            assertThat(parts).hasSize(6);
            assertThat(parts[0]).isEqualTo("1");
            assertThat(parts[1]).isEqualTo("6");
            assertThat(parts[2]).isEqualTo("tcp");
            assertThat(parts[3]).isEqualTo("127.0.0.1:" + server.port());
            assertThat(parts[4]).isEqualTo("grpc");
            assertThat(parts[5]).doesNotEndWith("=");
            X509Certificate advertised = GoPluginClient.certificate(parts[5]);
            assertThat(advertised.getSubjectAlternativeNames()).anySatisfy(n -> assertThat(n.get(1)).isEqualTo("localhost"));
            assertThat(advertised.getBasicConstraints()).isGreaterThanOrEqualTo(0);
            advertised.verify(advertised.getPublicKey());

            ManagedChannel ch = GoPluginClient.channel(server.port(), terraform, advertised);
            try {
                Tfplugin6.GetProviderSchema.Response schema = ProviderGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(20, TimeUnit.SECONDS)
                        .getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance());
                assertThat(schema.getResourceSchemasMap()).containsKeys("arbor_project", "arbor_branch");
                assertThat(schema.getServerCapabilities().getPlanDestroy()).isTrue();
            } finally {
                ch.shutdownNow();
            }

            // A client with any other certificate is refused.
            AutoMtls stranger = GoPluginClient.clientCertificate();
            ManagedChannel bad = GoPluginClient.channel(server.port(), stranger, advertised);
            try {
                assertThatThrownBy(() -> ProviderGrpc.newBlockingStub(bad).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance()))
                        .isInstanceOf(io.grpc.StatusRuntimeException.class);
            } finally {
                bad.shutdownNow();
            }
        } finally {
            server.shutdownNow();
        }
    }
}
