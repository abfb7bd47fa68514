package dev.arbor.provider.plugin;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.okhttp.OkHttpServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A go-plugin gRPC server on 127.0.0.1 with AutoMTLS, on gRPC's OkHttp server transport: blocking sockets
 * and a thread per connection load about a fifth of the classes grpc-netty needs, which is most of what a
 * launch pays for. TLS is the JDK's on purpose: BoringSSL omits ECDSA+SHA512 from the CertificateRequest,
 * so Go's P-521 client certificate would never be sent.
 */
public final class PluginServer {
    public static final int CORE_PROTOCOL = 1;
    public static final int APP_PROTOCOL = 6;

    private final Server server;
    private final AutoMtls serverCert;

    private PluginServer(Server server, AutoMtls serverCert) {
        this.server = server;
        this.serverCert = serverCert;
    }

    /**
     * Starts the server. {@code clientCert} null means plaintext (TF_DISABLE_PLUGIN_TLS / debugging).
     */
    public static PluginServer start(BindableService provider, X509Certificate clientCert, Runnable exit)
            throws IOException {
        // Loading (or generating) the key and gRPC's class initialisation overlap on the two cores.
        CompletableFuture<AutoMtls> pending = clientCert == null ? null
                : CompletableFuture.supplyAsync(() -> CertCache.cachedOrGenerate(System.getenv()),
                        r -> Thread.ofPlatform().daemon().start(r));
        // Binding the services loads protobuf's descriptors: work that overlaps with the key's loading.
        List<ServerServiceDefinition> services = List.of(provider.bindService(),
                new GoPluginServices.Controller(exit).bindService(), new GoPluginServices.Stdio().bindService(),
                new GoPluginServices.Broker().bindService());
        dev.arbor.provider.Trace.mark("services bound");
        ServerCredentials creds = InsecureServerCredentials.create();
        AutoMtls cert = null;
        if (clientCert != null) {
            cert = pending.join();
            dev.arbor.provider.Trace.mark("certificate");
            creds = PinnedTls.credentials(cert, clientCert);
        }
        OkHttpServerBuilder b = OkHttpServerBuilder.forPort(new InetSocketAddress("127.0.0.1", 0), creds)
                .maxInboundMessageSize(64 << 20);
        services.forEach(b::addService);
        Server server = serve(b);
        return new PluginServer(server, cert);
    }

    /**
     * Starts a server on the shared settings: RPCs may block on HTTP calls and operation polling, so each runs on
     * its own virtual thread.
     */
    public static Server serve(OkHttpServerBuilder builder) throws IOException {
        return builder.executor(Executors.newVirtualThreadPerTaskExecutor()).build().start();
    }

    public int port() {
        return server.getPort();
    }

    /** The line go-plugin reads from the plugin's stdout. */
    public String handshakeLine() {
        return CORE_PROTOCOL + "|" + APP_PROTOCOL + "|tcp|127.0.0.1:" + port() + "|grpc|"
                + (serverCert == null ? "" : serverCert.handshakeField());
    }

    public AutoMtls serverCert() {
        return serverCert;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    public void shutdownNow() {
        server.shutdownNow();
    }

    /**
     * Stops the server and waits up to {@code timeoutMs} for its connections to close. Called before the JVM
     * halts: the VM waits up to 300 ms at exit for threads blocked in native code, which the transport's socket
     * readers and its accept loop are until their sockets close.
     */
    public void stopTransport(long timeoutMs) {
        server.shutdownNow();
        try {
            server.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
