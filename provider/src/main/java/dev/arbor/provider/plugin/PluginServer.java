package dev.arbor.provider.plugin;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A go-plugin gRPC server on 127.0.0.1 with AutoMTLS. The JDK TLS provider is used on purpose:
 * netty's BoringSSL omits ECDSA+SHA512 from the CertificateRequest, so Go's P-521 client certificate
 * is never sent.
 */
public final class PluginServer {
    public static final int CORE_PROTOCOL = 1;
    public static final int APP_PROTOCOL = 6;

    private final Server server;
    private final AutoMtls serverCert;
    private final List<NioEventLoopGroup> loops;

    private PluginServer(Server server, AutoMtls serverCert, List<NioEventLoopGroup> loops) {
        this.server = server;
        this.serverCert = serverCert;
        this.loops = loops;
    }

    /**
     * Starts the server. {@code clientCert} null means plaintext (TF_DISABLE_PLUGIN_TLS / debugging).
     */
    public static PluginServer start(BindableService provider, X509Certificate clientCert, Runnable exit)
            throws IOException {
        // Loading (or generating) the key and netty's class initialisation overlap on the two cores.
        java.util.concurrent.CompletableFuture<AutoMtls> pending = clientCert == null ? null
                : java.util.concurrent.CompletableFuture.supplyAsync(() -> CertCache.cachedOrGenerate(System.getenv()),
                        r -> Thread.ofPlatform().daemon().start(r));
        NioEventLoopGroup boss = new NioEventLoopGroup(1);
        NioEventLoopGroup workers = new NioEventLoopGroup(2);
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                // RPCs may block on HTTP calls and operation polling: one virtual thread each.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .maxInboundMessageSize(64 << 20)
                .addService(provider)
                .addService(new GoPluginServices.Controller(exit))
                .addService(new GoPluginServices.Stdio())
                .addService(new GoPluginServices.Broker());
        AutoMtls cert = null;
        if (clientCert != null) {
            dev.arbor.provider.Trace.mark("netty builder");
            cert = pending.join();
            dev.arbor.provider.Trace.mark("certificate");
            SslContext ssl;
            try {
                ssl = PinnedTls.serverContext(cert, clientCert);
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException("TLS set-up failed", e);
            }
            b.sslContext(ssl);
            dev.arbor.provider.Trace.mark("ssl context");
        }
        return new PluginServer(b.build().start(), cert, List.of(boss, workers));
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
     * Stops the server and its event loops, waiting up to {@code timeoutMs}. Called before the JVM halts:
     * the VM waits up to 300 ms at exit for threads blocked in native code, which netty's selector threads are.
     */
    public void stopTransport(long timeoutMs) {
        server.shutdownNow();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        for (NioEventLoopGroup g : loops) {
            g.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
        for (NioEventLoopGroup g : loops) {
            try {
                g.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
