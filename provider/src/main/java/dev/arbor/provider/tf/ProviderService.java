package dev.arbor.provider.tf;

import com.google.protobuf.ByteString;
import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.client.Json;
import dev.arbor.provider.data.DataSource;
import dev.arbor.provider.proto.tfplugin6.ProviderGrpc;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.proto.tfplugin6.Tfplugin6.DynamicValue;
import dev.arbor.provider.resource.ManagedResource;
import dev.arbor.provider.resource.ResourceEngine;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.value.Msgpack;
import dev.arbor.provider.value.Unknown;
import dev.arbor.provider.value.Values;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * tfplugin6.Provider over the resource catalogue. Every RPC answers with diagnostics rather than a
 * gRPC error, so Terraform shows the provider's message; RPCs run concurrently and share state only
 * through the configured {@link ArborApi}.
 */
public final class ProviderService extends ProviderGrpc.ProviderImplBase {
    private final ArborProvider provider;
    private final Map<String, String> env;
    private final AtomicReference<ArborApi> api = new AtomicReference<>();
    private final AtomicBoolean stopped = new AtomicBoolean();

    public ProviderService(ArborProvider provider, Map<String, String> env) {
        this.provider = provider;
        this.env = env;
    }

    // ---- schema -------------------------------------------------------------------------------

    public Tfplugin6.GetProviderSchema.Response schemaResponse() {
        var b = Tfplugin6.GetProviderSchema.Response.newBuilder()
                .setProvider(ArborProvider.CONFIG.toProto())
                .setServerCapabilities(Tfplugin6.ServerCapabilities.newBuilder()
                        .setPlanDestroy(true).setGetProviderSchemaOptional(true));
        provider.resources().forEach((n, r) -> b.putResourceSchemas(n, r.schema().toProto()));
        provider.dataSources().forEach((n, d) -> b.putDataSourceSchemas(n, d.schema().toProto()));
        return b.build();
    }

    @Override
    public void getProviderSchema(Tfplugin6.GetProviderSchema.Request req,
            StreamObserver<Tfplugin6.GetProviderSchema.Response> out) {
        reply(out, schemaResponse());
    }

    @Override
    public void getMetadata(Tfplugin6.GetMetadata.Request req, StreamObserver<Tfplugin6.GetMetadata.Response> out) {
        var b = Tfplugin6.GetMetadata.Response.newBuilder().setServerCapabilities(
                Tfplugin6.ServerCapabilities.newBuilder().setPlanDestroy(true).setGetProviderSchemaOptional(true));
        provider.resources().keySet().forEach(n -> b.addResources(
                Tfplugin6.GetMetadata.ResourceMetadata.newBuilder().setTypeName(n)));
        provider.dataSources().keySet().forEach(n -> b.addDataSources(
                Tfplugin6.GetMetadata.DataSourceMetadata.newBuilder().setTypeName(n)));
        reply(out, b.build());
    }

    // ---- provider configuration ---------------------------------------------------------------

    @Override
    public void validateProviderConfig(Tfplugin6.ValidateProviderConfig.Request req,
            StreamObserver<Tfplugin6.ValidateProviderConfig.Response> out) {
        List<Diag> diags = guard(() -> {
            Map<String, Object> cfg = decode(req.getConfig(), ArborProvider.CONFIG);
            List<Diag> d = new ArrayList<>(ResourceEngine.validate(ArborProvider.CONFIG, cfg, List.of()));
            if (cfg.get("api_url") instanceof String u) {
                try {
                    ArborApi.normalize(u);
                } catch (IllegalArgumentException e) {
                    d.add(Diag.attributeError("api_url", "Invalid provider configuration",
                            "\"api_url\" " + e.getMessage()));
                }
            }
            return d;
        });
        reply(out, Tfplugin6.ValidateProviderConfig.Response.newBuilder().addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void configureProvider(Tfplugin6.ConfigureProvider.Request req,
            StreamObserver<Tfplugin6.ConfigureProvider.Response> out) {
        List<Diag> diags = guard(() -> {
            Map<String, Object> cfg = decode(req.getConfig(), ArborProvider.CONFIG);
            String url = pick(cfg.get("api_url"), env.get(ArborProvider.ENV_API_URL));
            String key = pick(cfg.get("api_key"), env.get(ArborProvider.ENV_API_KEY));
            if (url == null) {
                return List.of(Diag.attributeError("api_url", "Missing Arbor API URL",
                        "Set \"api_url\" in the provider block or the " + ArborProvider.ENV_API_URL
                                + " environment variable."));
            }
            try {
                ArborApi a = new ArborApi(url, key, stopped::get);
                api.set(a);
                a.warmUp();
            } catch (IllegalArgumentException e) {
                return List.of(Diag.attributeError("api_url", "Invalid provider configuration",
                        "\"api_url\" " + e.getMessage()));
            }
            return List.of();
        });
        reply(out, Tfplugin6.ConfigureProvider.Response.newBuilder().addAllDiagnostics(proto(diags)).build());
    }

    private static String pick(Object configured, String fromEnv) {
        if (configured instanceof String s && !s.isEmpty()) {
            return s;
        }
        return fromEnv == null || fromEnv.isEmpty() ? null : fromEnv;
    }

    private ArborApi api() {
        ArborApi a = api.get();
        if (a == null) {
            throw new ProviderError(Diag.error("Provider not configured",
                    "The provider was used before ConfigureProvider; this is a bug in Terraform or the provider."));
        }
        return a;
    }

    // ---- validation and state upgrade ---------------------------------------------------------

    @Override
    public void validateResourceConfig(Tfplugin6.ValidateResourceConfig.Request req,
            StreamObserver<Tfplugin6.ValidateResourceConfig.Response> out) {
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Map<String, Object> cfg = decode(req.getConfig(), r.schema());
            return ResourceEngine.validate(r.schema(), cfg, r.validate(cfg));
        });
        reply(out, Tfplugin6.ValidateResourceConfig.Response.newBuilder().addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void validateDataResourceConfig(Tfplugin6.ValidateDataResourceConfig.Request req,
            StreamObserver<Tfplugin6.ValidateDataResourceConfig.Response> out) {
        List<Diag> diags = guard(() -> {
            DataSource d = provider.dataSource(req.getTypeName());
            Map<String, Object> cfg = decode(req.getConfig(), d.schema());
            List<Diag> extra = Values.containsUnknown(cfg) ? List.of() : d.validate(cfg);
            return ResourceEngine.validate(d.schema(), cfg, extra);
        });
        reply(out, Tfplugin6.ValidateDataResourceConfig.Response.newBuilder().addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void upgradeResourceState(Tfplugin6.UpgradeResourceState.Request req,
            StreamObserver<Tfplugin6.UpgradeResourceState.Response> out) {
        var b = Tfplugin6.UpgradeResourceState.Response.newBuilder();
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Object raw = Json.parse(req.getRawState().getJson().toString(StandardCharsets.UTF_8));
            // Drops keys the schema no longer has and null-fills new ones.
            Object upgraded = Values.fromJson(raw, r.schema().objectType());
            b.setUpgradedState(encode(upgraded, r.schema()));
            return List.of();
        });
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    // ---- managed resources --------------------------------------------------------------------

    @Override
    public void readResource(Tfplugin6.ReadResource.Request req, StreamObserver<Tfplugin6.ReadResource.Response> out) {
        var b = Tfplugin6.ReadResource.Response.newBuilder().setPrivate(req.getPrivate());
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Map<String, Object> state = decode(req.getCurrentState(), r.schema());
            Map<String, Object> fresh = state == null ? null : ResourceEngine.refresh(r, api(), state);
            b.setNewState(encode(fresh, r.schema()));
            return List.of();
        });
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void planResourceChange(Tfplugin6.PlanResourceChange.Request req,
            StreamObserver<Tfplugin6.PlanResourceChange.Response> out) {
        var b = Tfplugin6.PlanResourceChange.Response.newBuilder();
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Map<String, Object> prior = decode(req.getPriorState(), r.schema());
            Map<String, Object> proposed = decode(req.getProposedNewState(), r.schema());
            if (proposed == null) {
                b.setPlannedState(encode(null, r.schema()));
                return List.of();
            }
            Map<String, Object> config = decode(req.getConfig(), r.schema());
            ResourceEngine.Plan plan = ResourceEngine.plan(r, prior, proposed, config);
            b.setPlannedState(encode(plan.planned(), r.schema()));
            for (String attr : plan.requiresReplace()) {
                b.addRequiresReplace(Tfplugin6.AttributePath.newBuilder().addSteps(
                        Tfplugin6.AttributePath.Step.newBuilder().setAttributeName(attr)));
            }
            return List.of();
        });
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void applyResourceChange(Tfplugin6.ApplyResourceChange.Request req,
            StreamObserver<Tfplugin6.ApplyResourceChange.Response> out) {
        var b = Tfplugin6.ApplyResourceChange.Response.newBuilder();
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Map<String, Object> prior = decode(req.getPriorState(), r.schema());
            Map<String, Object> planned = decode(req.getPlannedState(), r.schema());
            if (planned == null) {
                try {
                    r.delete(api(), prior);
                } catch (RuntimeException e) {
                    b.setNewState(encode(prior, r.schema()));
                    throw e;
                }
                b.setNewState(encode(null, r.schema()));
                return List.of();
            }
            try {
                b.setNewState(encode(ResourceEngine.apply(r, api(), prior, planned), r.schema()));
            } catch (dev.arbor.provider.resource.PartialCreate e) {
                b.setNewState(encode(ResourceEngine.partial(r.schema(), e.state()), r.schema()));
                throw (RuntimeException) e.getCause();
            }
            return List.of();
        });
        if (!b.hasNewState()) {
            // A failed create leaves nothing; a failed update keeps the prior object.
            b.setNewState(req.getPriorState().getMsgpack().isEmpty()
                    ? DynamicValue.newBuilder().setMsgpack(ByteString.copyFrom(new byte[] {(byte) 0xc0})).build()
                    : req.getPriorState());
        }
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void importResourceState(Tfplugin6.ImportResourceState.Request req,
            StreamObserver<Tfplugin6.ImportResourceState.Response> out) {
        var b = Tfplugin6.ImportResourceState.Response.newBuilder();
        List<Diag> diags = guard(() -> {
            ManagedResource r = provider.resource(req.getTypeName());
            Map<String, Object> s = r.importState(req.getId());
            b.addImportedResources(Tfplugin6.ImportResourceState.ImportedResource.newBuilder()
                    .setTypeName(req.getTypeName()).setState(encode(s, r.schema())));
            return List.of();
        });
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void readDataSource(Tfplugin6.ReadDataSource.Request req,
            StreamObserver<Tfplugin6.ReadDataSource.Response> out) {
        var b = Tfplugin6.ReadDataSource.Response.newBuilder();
        List<Diag> diags = guard(() -> {
            DataSource d = provider.dataSource(req.getTypeName());
            Map<String, Object> cfg = decode(req.getConfig(), d.schema());
            b.setState(encode(d.read(api(), cfg), d.schema()));
            return List.of();
        });
        reply(out, b.addAllDiagnostics(proto(diags)).build());
    }

    @Override
    public void stopProvider(Tfplugin6.StopProvider.Request req, StreamObserver<Tfplugin6.StopProvider.Response> out) {
        stopped.set(true);
        reply(out, Tfplugin6.StopProvider.Response.getDefaultInstance());
    }

    /** Releases the API client's threads (see {@link ArborApi#close}); the process is about to exit. */
    public void close(java.time.Duration wait) {
        ArborApi a = api.get();
        if (a != null) {
            a.close(wait);
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> decode(DynamicValue v, Schema schema) {
        if (v.getMsgpack().isEmpty()) {
            if (!v.getJson().isEmpty()) {
                return (Map<String, Object>) Values.fromJson(
                        Json.parse(v.getJson().toString(StandardCharsets.UTF_8)), schema.objectType());
            }
            return null;
        }
        Object o = Msgpack.decode(v.getMsgpack().toByteArray(), schema.objectType());
        if (o == Unknown.VALUE) {
            throw new ProviderError(Diag.error("Unknown object", "The whole object is unknown; cannot proceed."));
        }
        return (Map<String, Object>) o;
    }

    static DynamicValue encode(Object v, Schema schema) {
        return DynamicValue.newBuilder()
                .setMsgpack(ByteString.copyFrom(Msgpack.encode(v, schema.objectType()))).build();
    }

    private static List<Tfplugin6.Diagnostic> proto(List<Diag> diags) {
        return diags.stream().map(Diag::toProto).toList();
    }

    private static List<Diag> guard(java.util.function.Supplier<List<Diag>> body) {
        try {
            return body.get();
        } catch (ProviderError e) {
            return e.diags();
        } catch (ApiException e) {
            return List.of(Diag.error(e.status() == 499 ? "Interrupted" : "Arbor API error",
                    "HTTP " + e.status() + (e.code() == null ? "" : " " + e.code()) + ": " + e.getMessage()
                            + (e.requestId() == null ? "" : " (request_id " + e.requestId() + ")")));
        } catch (RuntimeException e) {
            return List.of(Diag.error("Provider error", e.toString()));
        }
    }

    private static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }

}
