package dev.arbor.provider;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.arbor.provider.plugin.AutoMtls;
import dev.arbor.provider.plugin.PluginServer;
import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.tf.ProviderService;
import dev.arbor.provider.value.Msgpack;
import dev.arbor.provider.value.TfType;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The AOT-cache training run (build time only): one launch's worth of work — certificates, TLS with a
 * P-521 client like Terraform's, schema, validate, plan, read over HTTP — so the cache holds the classes
 * and profiles every real launch needs.
 */
final class Training {
    private Training() {}

    static void run() throws Exception {
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
        Map<String, String> env = new HashMap<>();
        env.put(ArborProvider.ENV_API_URL, "http://127.0.0.1:" + http.getAddress().getPort());
        ArborProvider catalogue = new ArborProvider();
        PluginServer server = PluginServer.start(new ProviderService(catalogue, env), client.certificate(), () -> {});
        System.err.println("training: " + server.handshakeLine().substring(0, 30) + "...");
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .overrideAuthority("localhost")
                .sslContext(GrpcSslContexts.configure(
                        io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forClient()
                                .keyManager(client.key(), client.certificate())
                                .trustManager(server.serverCert().certificate()), SslProvider.JDK).build())
                .build();
        try {
            var stub = ProviderGrpc.newBlockingStub(ch);
            for (int round = 0; round < 3; round++) {
                stub.getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance());
                stub.validateProviderConfig(Tfplugin6.ValidateProviderConfig.Request.newBuilder()
                        .setConfig(dv(ArborProvider.CONFIG, Map.of())).build());
                stub.configureProvider(Tfplugin6.ConfigureProvider.Request.newBuilder()
                        .setConfig(dv(ArborProvider.CONFIG, Map.of())).build());
                for (var r : catalogue.resources().values()) {
                    Map<String, Object> cfg = sample(r.schema());
                    var config = dv(r.schema(), cfg);
                    stub.validateResourceConfig(Tfplugin6.ValidateResourceConfig.Request.newBuilder()
                            .setTypeName(r.typeName()).setConfig(config).build());
                    var plan = stub.planResourceChange(Tfplugin6.PlanResourceChange.Request.newBuilder()
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
                    if (plan.getDiagnosticsCount() > 0) {
                        System.err.println("training: " + r.typeName() + " " + plan.getDiagnostics(0).getDetail());
                    }
                }
                for (var d : catalogue.dataSources().values()) {
                    var config = dv(d.schema(), sample(d.schema()));
                    stub.validateDataResourceConfig(Tfplugin6.ValidateDataResourceConfig.Request.newBuilder()
                            .setTypeName(d.typeName()).setConfig(config).build());
                    stub.readDataSource(Tfplugin6.ReadDataSource.Request.newBuilder()
                            .setTypeName(d.typeName()).setConfig(config).build());
                }
            }
        } finally {
            ch.shutdownNow();
            server.shutdownNow();
            http.stop(0);
        }
        System.exit(0);
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
