package dev.arbor.provider.pulumi;

import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.plugin.PluginServer;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.okhttp.OkHttpServerBuilder;
import java.io.PrintStream;
import java.net.InetSocketAddress;

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
        // The engine runs many calls at once, each blocking on HTTP and operation polling: a virtual thread each.
        Server server = PluginServer.serve(OkHttpServerBuilder
                .forPort(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
                .maxInboundMessageSize(400 << 20)
                .addService(new PulumiProviderService(new ArborProvider(), System.getenv())));
        stdout.println(server.getPort());
        stdout.flush();
        server.awaitTermination();
    }
}
