package dev.arbor.provider.tools;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.arbor.provider.plugin.AutoMtls;
import dev.arbor.provider.plugin.CertCache;
import dev.arbor.provider.proto.goplugin.GRPCControllerGrpc;
import dev.arbor.provider.proto.goplugin.GoPlugin;
import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.value.Msgpack;
import dev.arbor.provider.value.TfType;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.okhttp.OkHttpChannelBuilder;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;

/**
 * Build-time AOT-cache training, shaped like a real Terraform launch: this driver plays Terraform (P-521
 * client certificate, handshake parsing, mTLS, schema/validate/plan/read RPCs, then Shutdown) against the
 * provider started as a child JVM in {@code -XX:AOTMode=record}. Only the child is recorded, so the cache
 * holds exactly the classes a launch needs and none of the client side.
 * Usage: AotTraining JAVA JAR AOTCONF [JVM flags...]
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        String java = args[0];
        String jar = args[1];
        String conf = args[2];
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            byte[] body = "{\"code\":\"NOT_FOUND\",\"message\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(404, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        http.start();
        AutoMtls client = AutoMtls.generate("secp521r1", "SHA512withECDSA", "1.2.840.10045.4.3.4");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(Arrays.asList(args).subList(3, args.length));
        cmd.addAll(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + conf, "-cp", jar, "dev.arbor.provider.Main"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2");
        pb.environment().put("PLUGIN_PROTOCOL_VERSIONS", "5,6");
        pb.environment().put("PLUGIN_CLIENT_CERT", client.pem());
        // Launches mostly load the AutoMTLS pair that an earlier launch cached: train that path.
        Path runtime = Files.createTempDirectory("arbor-aot-runtime-");
        CertCache.store(runtime.resolve(CertCache.FILE), AutoMtls.generate());
        runtime.toFile().deleteOnExit(); // deleteOnExit runs in reverse order: the file, then the directory
        runtime.resolve(CertCache.FILE).toFile().deleteOnExit();
        pb.environment().put("XDG_RUNTIME_DIR", runtime.toString());
        pb.environment().put(ArborProvider.ENV_API_URL, "http://127.0.0.1:" + http.getAddress().getPort());
        Process child = pb.start();
        String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (line == null || !line.startsWith("1|6|tcp|127.0.0.1:")) {
            child.destroyForcibly();
            throw new IllegalStateException("training: bad handshake line: " + line);
        }
        String[] parts = line.split("\\|");
        int port = Integer.parseInt(parts[3].substring(parts[3].lastIndexOf(':') + 1));
        ManagedChannel ch = OkHttpChannelBuilder.forAddress("127.0.0.1", port, TlsChannelCredentials.newBuilder()
                        .keyManager(keyManagers(client))
                        .trustManager(new ByteArrayInputStream(("-----BEGIN CERTIFICATE-----\n" + parts[5]
                                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII)))
                        .build())
                .overrideAuthority("localhost")
                .build();
        try {
            exercise(ch);
            GRPCControllerGrpc.newBlockingStub(ch).shutdown(GoPlugin.Empty.getDefaultInstance());
        } finally {
            ch.shutdownNow();
            http.stop(0);
        }
        if (!child.waitFor(5, TimeUnit.MINUTES)) {
            child.destroyForcibly();
            throw new IllegalStateException("training: the provider did not exit after Shutdown");
        }
        System.err.println("training: provider exited with " + child.exitValue());
    }

    /** The client's key as JSSE key managers (build time only, so the plain KeyStore route is fine). */
    private static javax.net.ssl.KeyManager[] keyManagers(AutoMtls client) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", client.key(), new char[0], new X509Certificate[] {client.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        return kmf.getKeyManagers();
    }

    private static void exercise(ManagedChannel ch) {
        ArborProvider catalogue = new ArborProvider();
        var stub = ProviderGrpc.newBlockingStub(ch);
        for (int round = 0; round < 3; round++) {
            stub.getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance());
            stub.validateProviderConfig(Tfplugin6.ValidateProviderConfig.Request.newBuilder()
                    .setConfig(dv(ArborProvider.CONFIG, Map.of())).build());
            stub.configureProvider(Tfplugin6.ConfigureProvider.Request.newBuilder()
                    .setConfig(dv(ArborProvider.CONFIG, Map.of())).build());
            for (var r : catalogue.resources().values()) {
                var config = dv(r.schema(), sample(r.schema()));
                stub.validateResourceConfig(Tfplugin6.ValidateResourceConfig.Request.newBuilder()
                        .setTypeName(r.typeName()).setConfig(config).build());
                stub.planResourceChange(Tfplugin6.PlanResourceChange.Request.newBuilder()
                        .setTypeName(r.typeName()).setConfig(config).setProposedNewState(config)
                        .setPriorState(nil()).build());
                stub.planResourceChange(Tfplugin6.PlanResourceChange.Request.newBuilder()
                        .setTypeName(r.typeName()).setConfig(config).setProposedNewState(config)
                        .setPriorState(config).build());
                stub.upgradeResourceState(Tfplugin6.UpgradeResourceState.Request.newBuilder()
                        .setTypeName(r.typeName()).setRawState(Tfplugin6.RawState.newBuilder().setJson(
                                ByteString.copyFromUtf8("{\n  \"id\": \"x\",\n  \"project_id\": \"p\"\n}")))
                        .build());
                stub.readResource(Tfplugin6.ReadResource.Request.newBuilder().setTypeName(r.typeName())
                        .setCurrentState(config).build());
            }
            for (var d : catalogue.dataSources().values()) {
                var config = dv(d.schema(), sample(d.schema()));
                stub.validateDataResourceConfig(Tfplugin6.ValidateDataResourceConfig.Request.newBuilder()
                        .setTypeName(d.typeName()).setConfig(config).build());
                stub.readDataSource(Tfplugin6.ReadDataSource.Request.newBuilder()
                        .setTypeName(d.typeName()).setConfig(config).build());
            }
        }
    }

    private static Map<String, Object> sample(Schema s) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Attribute a : s.attributes()) {
            m.put(a.name(), a.mode() == Attribute.Mode.REQUIRED && a.type() == TfType.STRING ? "x" : null);
        }
        return m;
    }

    private static Tfplugin6.DynamicValue dv(Schema s, Map<String, Object> v) {
        Map<String, Object> full = new LinkedHashMap<>();
        for (Attribute a : s.attributes()) {
            full.put(a.name(), v.get(a.name()));
        }
        return Tfplugin6.DynamicValue.newBuilder()
                .setMsgpack(ByteString.copyFrom(Msgpack.encode(full, s.objectType()))).build();
    }

    private static Tfplugin6.DynamicValue nil() {
        return Tfplugin6.DynamicValue.newBuilder().setMsgpack(ByteString.copyFrom(new byte[] {(byte) 0xc0})).build();
    }
}
