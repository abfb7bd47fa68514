package dev.arbor.provider.pulumi;

import dev.arbor.provider.tf.ArborProvider;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * Entry point of {@code pulumi-resource-arbor}. The Pulumi engine runs the plugin with its own gRPC address
 * as the last argument (and logging flags), reads exactly one line from stdout, the port, and dials
 * 127.0.0.1 on it without TLS. Everything else the plugin prints goes to stderr, which the engine shows as
 * diagnostics.
 */
public final class PulumiMain {
    private PulumiMain() {}

    public static void main(String[] args) throws Exception {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        // Ctrl-C reaches the whole process group; the engine follows with Cancel and then kills the plugin.
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {});
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(new NioEventLoopGroup(1))
                .workerEventLoopGroup(new NioEventLoopGroup(2))
                // Calls block on HTTP and operation polling, and the engine runs many at once: a virtual thread each.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .maxInboundMessageSize(400 << 20)
                .addService(new PulumiProviderService(new ArborProvider(), System.getenv()))
                .build()
                .start();
        stdout.println(server.getPort());
        stdout.flush();
        server.awaitTermination();
    }
}
