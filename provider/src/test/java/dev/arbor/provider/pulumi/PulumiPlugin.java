package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.plugin.GoPluginClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import pulumirpc.ResourceProviderGrpc;

/**
 * The packaged plugin as the Pulumi engine runs it: unpack the release tarball, exec
 * {@code pulumi-resource-arbor <engine address>}, read the port from the first stdout line, dial it
 * without TLS.
 */
final class PulumiPlugin implements AutoCloseable {
    final Path dir;
    final Process process;
    final int port;
    final ManagedChannel channel;
    private final List<String> laterStdout = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread drain;

    private PulumiPlugin(Path dir, Process process, int port, BufferedReader stdout) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        // The engine keeps reading stdout after the port line and shows it as diagnostics: collect it.
        this.drain = Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String l; (l = stdout.readLine()) != null; ) {
                    laterStdout.add(l);
                }
            } catch (java.io.IOException ignored) {
                // the process is gone
            }
        });
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
    }

    /** The release tarball built by {@code ./mvnw package}, unpacked into a fresh directory. */
    static Path unpack() throws Exception {
        String tarball = System.getProperty("arbor.pulumi.plugin");
        if (tarball == null || !Files.isRegularFile(Path.of(tarball))) {
            throw new IllegalStateException("the Pulumi plugin tarball " + tarball + " is missing: run the package "
                    + "phase first (./mvnw -pl provider verify builds it before the integration tests)");
        }
        Path dir = Files.createTempDirectory("pulumi-plugin-");
        Process tar = new ProcessBuilder("tar", "-xzf", tarball, "-C", dir.toString()).inheritIO().start();
        assertThat(tar.waitFor()).as("tar -xzf %s", tarball).isZero();
        assertThat(dir.resolve("pulumi-resource-arbor")).isExecutable();
        return dir;
    }

    static PulumiPlugin start(Path dir, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(dir.resolve("pulumi-resource-arbor").toString(), "127.0.0.1:1")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = GoPluginClient.firstLine(out);
        if (line == null || !line.matches("\\d{1,5}")) {
            p.destroyForcibly();
            throw new AssertionError("the plugin's first stdout line must be its port, got: " + line);
        }
        return new PulumiPlugin(dir, p, Integer.parseInt(line), out);
    }

    ResourceProviderGrpc.ResourceProviderBlockingStub stub() {
        return ResourceProviderGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES);
    }

    /** Stops the plugin and returns whatever it wrote to stdout after the port line (the engine would show it). */
    List<String> stop() throws Exception {
        channel.shutdownNow();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        drain.join(10_000);
        return List.copyOf(laterStdout);
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
