package dev.arbor.provider;

import dev.arbor.provider.plugin.AutoMtls;
import dev.arbor.provider.plugin.PluginServer;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.tf.ProviderService;
import java.io.PrintStream;
import java.security.cert.X509Certificate;
import java.util.Map;

/** Entry point Terraform launches (through the package's launcher script). */
public final class Main {
    static final String MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
    static final String MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

    private Main() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        // Only the handshake line may reach stdout; everything else goes to stderr, which Terraform logs.
        PrintStream stdout = System.out;
        System.setOut(System.err);
        if (!MAGIC_COOKIE_VALUE.equals(env.get(MAGIC_COOKIE_KEY))) {
            System.err.println("This binary is a plugin. These are not meant to be executed directly.\n"
                    + "Please execute the program that consumes these plugins, which will\n"
                    + "load any plugins automatically.");
            System.exit(1);
        }
        String versions = env.getOrDefault("PLUGIN_PROTOCOL_VERSIONS", "6");
        if (!java.util.Arrays.asList(versions.split(",")).contains("6")) {
            System.err.println("terraform-provider-arbor speaks plugin protocol 6; Terraform offered " + versions);
            System.exit(1);
        }
        // Ctrl-C reaches the whole process group; Terraform follows it with StopProvider and Shutdown.
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {});
        Trace.mark("jvm+env");
        String pem = env.get("PLUGIN_CLIENT_CERT");
        X509Certificate client = pem == null || pem.isBlank() ? null : AutoMtls.parsePem(pem);
        ProviderService service = new ProviderService(new ArborProvider(), env);
        java.util.concurrent.atomic.AtomicReference<PluginServer> started = new java.util.concurrent.atomic.AtomicReference<>();
        PluginServer server = PluginServer.start(service, client, () -> exitSoon(started.get(), service));
        started.set(server);
        Trace.mark("server started");
        stdout.println(server.handshakeLine());
        stdout.flush();
        Trace.mark("handshake printed");
        server.awaitTermination();
    }

    /**
     * Lets the Shutdown reply reach Terraform, stops the threads that sit in native code (the transport's socket
     * readers and the HTTP client's selector, which would hold the VM's exit for 300 ms), then exits without
     * shutdown hooks.
     */
    static void exitSoon(PluginServer server, ProviderService service) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(20);
                service.close(java.time.Duration.ofMillis(100));
                if (server != null) {
                    server.stopTransport(200);
                }
            } catch (InterruptedException | RuntimeException ignored) {
                // exiting anyway
            }
            Runtime.getRuntime().halt(0);
        });
    }
}
