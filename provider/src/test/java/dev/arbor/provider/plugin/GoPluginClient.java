package dev.arbor.provider.plugin;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client half of hashicorp/go-plugin with AutoMTLS, as Terraform and pulumi-terraform-bridge's dynamic
 * provider run it: a P-521 client certificate in PLUGIN_CLIENT_CERT, the magic cookie, the offered protocol
 * versions; then the handshake line {@code core|app|tcp|addr|grpc|base64 DER cert} and a channel that trusts
 * exactly that certificate.
 */
public final class GoPluginClient implements AutoCloseable {
    public static final String MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

    public final Process process;
    public final String[] handshake;
    public final X509Certificate serverCert;
    public final ManagedChannel channel;

    private GoPluginClient(Process process, String[] handshake, X509Certificate serverCert, ManagedChannel channel) {
        this.process = process;
        this.handshake = handshake;
        this.serverCert = serverCert;
        this.channel = channel;
    }

    /** A go-plugin P-521 client certificate (go-plugin's generateCert uses elliptic.P521 and ECDSA-SHA512). */
    public static AutoMtls clientCertificate() {
        return AutoMtls.generate("secp521r1", "SHA512withECDSA", "1.2.840.10045.4.3.4");
    }

    public static ManagedChannel channel(int port, AutoMtls client, X509Certificate serverCert) throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .overrideAuthority("localhost")
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient()
                        .keyManager(client.key(), client.certificate())
                        .trustManager(serverCert), SslProvider.JDK).build())
                .build();
    }

    public static X509Certificate certificate(String base64Der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64Der)));
    }

    /** A plugin's first stdout line (its handshake), waiting up to two minutes on a loaded machine. */
    public static String firstLine(BufferedReader out) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(120, TimeUnit.SECONDS);
    }

    /** Launches the plugin binary as go-plugin does, offering {@code versions} (e.g. "5,6"). */
    public static GoPluginClient launch(Path binary, String versions, Map<String, String> env) throws Exception {
        AutoMtls client = clientCertificate();
        ProcessBuilder pb = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        pb.environment().put("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE);
        pb.environment().put("PLUGIN_PROTOCOL_VERSIONS", versions);
        pb.environment().put("PLUGIN_MIN_PORT", "10000");
        pb.environment().put("PLUGIN_MAX_PORT", "25000");
        pb.environment().put("PLUGIN_CLIENT_CERT", client.pem());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = firstLine(out);
        String[] parts = line == null ? new String[0] : line.split("\\|");
        if (parts.length != 6 || !parts[2].equals("tcp") || !parts[4].equals("grpc")) {
            p.destroyForcibly();
            throw new AssertionError("not a go-plugin gRPC handshake line: " + line);
        }
        X509Certificate cert = certificate(parts[5]);
        int port = Integer.parseInt(parts[3].substring(parts[3].lastIndexOf(':') + 1));
        return new GoPluginClient(p, parts, cert, channel(port, client, cert));
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
