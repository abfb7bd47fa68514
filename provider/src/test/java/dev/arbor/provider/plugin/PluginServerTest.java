package dev.arbor.provider.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.tf.ProviderService;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Handshake line and AutoMTLS with a P-521 client certificate, as Terraform's Go client presents. */
class PluginServerTest {
    private static ManagedChannel channel(int port, AutoMtls client, X509Certificate serverCert) throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .overrideAuthority("localhost")
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient()
                        .keyManager(client.key(), client.certificate())
                        .trustManager(serverCert), SslProvider.JDK).build())
                .build();
    }

    @Test
    void handshakeAdvertisesThePinnedCertificateAndServesOverMutualTls() throws Exception {
        AutoMtls terraform = AutoMtls.generate("secp521r1", "SHA512withECDSA", "1.2.840.10045.4.3.4");
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
            X509Certificate advertised = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(parts[5])));
            assertThat(advertised.getSubjectAlternativeNames()).anySatisfy(n -> assertThat(n.get(1)).isEqualTo("localhost"));
            assertThat(advertised.getBasicConstraints()).isGreaterThanOrEqualTo(0);
            advertised.verify(advertised.getPublicKey());

            ManagedChannel ch = channel(server.port(), terraform, advertised);
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
            AutoMtls stranger = AutoMtls.generate("secp521r1", "SHA512withECDSA", "1.2.840.10045.4.3.4");
            ManagedChannel bad = channel(server.port(), stranger, advertised);
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
