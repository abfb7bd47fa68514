package dev.arbor.provider.pulumi;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Struct;
import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.client.Version;
import dev.arbor.provider.data.DataSource;
import dev.arbor.provider.resource.ManagedResource;
import dev.arbor.provider.resource.PartialCreate;
import dev.arbor.provider.resource.ResourceEngine;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.tf.ProviderError;
import dev.arbor.provider.value.Values;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import pulumirpc.Plugin.PluginInfo;
import pulumirpc.Provider;
import pulumirpc.ResourceProviderGrpc;

/**
 * pulumirpc.ResourceProvider over the Terraform provider's catalogue. The CRUD work and the planning rules
 * (unknowns on create, force-new replacement, reconciling apply results) are the model's
 * ({@link ManagedResource}, {@link ResourceEngine}); this class only maps Pulumi's calls and values onto them.
 * Pulumi's resource ID is the model's {@code id} attribute. RPCs Pulumi may call but Arbor does not need
 * (Handshake, Parameterize, Construct, Call, List, Attach, GetMapping(s), DiffConfig) answer UNIMPLEMENTED,
 * which the engine treats as "not supported".
 */
public final class PulumiProviderService extends ResourceProviderGrpc.ResourceProviderImplBase {
    private final ArborProvider catalogue;
    private final Map<String, String> env;
    private final Map<String, ManagedResource> resources = new LinkedHashMap<>();
    private final Map<String, DataSource> functions = new LinkedHashMap<>();
    private final AtomicReference<ArborApi> api = new AtomicReference<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean acceptSecrets;

    public PulumiProviderService(ArborProvider catalogue, Map<String, String> env) {
        this.catalogue = catalogue;
        this.env = env;
        catalogue.resources().values().forEach(r -> resources.put(Tokens.resource(r.typeName()), r));
        catalogue.dataSources().values().forEach(d -> functions.put(Tokens.function(d.typeName()), d));
    }

    // ---- plugin and schema --------------------------------------------------------------------

    @Override
    public void getPluginInfo(Empty req, StreamObserver<PluginInfo> out) {
        reply(out, () -> PluginInfo.newBuilder().setVersion(Version.VALUE).build());
    }

    @Override
    public void getSchema(Provider.GetSchemaRequest req, StreamObserver<Provider.GetSchemaResponse> out) {
        reply(out, () -> Provider.GetSchemaResponse.newBuilder().setSchema(PackageSchema.json(catalogue)).build());
    }

    // ---- provider configuration ---------------------------------------------------------------

    @Override
    public void checkConfig(Provider.CheckRequest req, StreamObserver<Provider.CheckResponse> out) {
        reply(out, () -> {
            var b = Provider.CheckResponse.newBuilder().setInputs(req.getNews());
            Object url = PropertyValues.plainMap(req.getNews()).get("apiUrl");
            if (url instanceof String u && !u.isEmpty()) {
                try {
                    ArborApi.normalize(u);
                } catch (IllegalArgumentException e) {
                    b.addFailures(failure("apiUrl", "apiUrl " + e.getMessage()));
                }
            }
            return b.build();
        });
    }

    @Override
    public void configure(Provider.ConfigureRequest req, StreamObserver<Provider.ConfigureResponse> out) {
        reply(out, () -> {
            Map<String, Object> args = req.hasArgs() ? PropertyValues.plainMap(req.getArgs()) : Map.of();
            String url = pick(args.get("apiUrl"), req.getVariablesMap().get("arbor:config:apiUrl"),
                    env.get(ArborProvider.ENV_API_URL));
            String key = pick(args.get("apiKey"), req.getVariablesMap().get("arbor:config:apiKey"),
                    env.get(ArborProvider.ENV_API_KEY));
            if (url == null) {
                throw Status.INVALID_ARGUMENT.withDescription("Missing Arbor API URL: set arbor:apiUrl in the stack "
                        + "config (or the provider's apiUrl) or the " + ArborProvider.ENV_API_URL
                        + " environment variable").asRuntimeException();
            }
            try {
                api.set(new ArborApi(url, key, cancelled::get));
            } catch (IllegalArgumentException e) {
                throw Status.INVALID_ARGUMENT.withDescription("apiUrl " + e.getMessage()).asRuntimeException();
            }
            acceptSecrets = req.getAcceptSecrets();
            return Provider.ConfigureResponse.newBuilder()
                    .setAcceptSecrets(true).setSupportsPreview(true).build();
        });
    }

    private static String pick(Object... candidates) {
        for (Object c : candidates) {
            if (c instanceof String s && !s.isEmpty() && !s.equals(PropertyValues.UNKNOWN)) {
                return s;
            }
        }
        return null;
    }

    private ArborApi api() {
        ArborApi a = api.get();
        if (a == null) {
            throw Status.FAILED_PRECONDITION.withDescription("the provider was used before Configure")
                    .asRuntimeException();
        }
        return a;
    }

    // ---- resources ----------------------------------------------------------------------------

    @Override
    public void check(Provider.CheckRequest req, StreamObserver<Provider.CheckResponse> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            Schema s = r.schema();
            PropertyValues.Decoded news = PropertyValues.decode(req.getNews(), s, false);
            Map<String, Object> inputs = new LinkedHashMap<>();
            for (Attribute a : s.attributes()) {
                if (a.mode().configurable()) {
                    Object v = news.values().get(a.name());
                    inputs.put(a.name(), v == null ? a.defaultValue() : v);
                }
            }
            var b = Provider.CheckResponse.newBuilder()
                    .setInputs(PropertyValues.encode(inputs, s, false, news.secrets(), true));
            for (String k : news.strangers()) {
                if (k.startsWith("__")) {
                    continue; // engine/SDK bookkeeping keys
                }
                b.addFailures(failure(k, "unknown property \"" + k + "\" for " + Tokens.resource(r.typeName())));
            }
            for (Attribute a : s.attributes()) {
                if (a.mode() == Attribute.Mode.REQUIRED && inputs.get(a.name()) == null) {
                    b.addFailures(failure(Tokens.camel(a.name()),
                            "missing required property \"" + Tokens.camel(a.name()) + "\""));
                }
            }
            for (Diag d : ResourceEngine.validate(s, inputs, r.validate(inputs))) {
                b.addFailures(failure(propertyPath(d.path()), message(d)));
            }
            return b.build();
        });
    }

    @Override
    public void diff(Provider.DiffRequest req, StreamObserver<Provider.DiffResponse> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            Map<String, Object> prior = state(r, req.getId(), req.getOlds()).values();
            Map<String, Object> config = PropertyValues.decode(req.getNews(), r.schema(), false).values();
            for (String ignored : req.getIgnoreChangesList()) {
                attributeByCamel(r.schema(), ignored).ifPresent(a -> config.put(a.name(), prior.get(a.name())));
            }
            ResourceEngine.Plan plan = plan(r, prior, config);
            var b = Provider.DiffResponse.newBuilder().setHasDetailedDiff(true);
            Set<String> replace = new HashSet<>(plan.requiresReplace());
            for (Attribute a : r.schema().attributes()) {
                if (!a.mode().configurable() || Values.equal(prior.get(a.name()), plan.planned().get(a.name()))) {
                    continue;
                }
                String key = Tokens.camel(a.name());
                boolean rep = replace.contains(a.name());
                b.addDiffs(key);
                if (rep) {
                    b.addReplaces(key);
                }
                Provider.PropertyDiff.Kind kind = prior.get(a.name()) == null
                        ? (rep ? Provider.PropertyDiff.Kind.ADD_REPLACE : Provider.PropertyDiff.Kind.ADD)
                        : plan.planned().get(a.name()) == null
                                ? (rep ? Provider.PropertyDiff.Kind.DELETE_REPLACE : Provider.PropertyDiff.Kind.DELETE)
                                : (rep ? Provider.PropertyDiff.Kind.UPDATE_REPLACE : Provider.PropertyDiff.Kind.UPDATE);
                b.putDetailedDiff(key, Provider.PropertyDiff.newBuilder().setKind(kind).setInputDiff(true).build());
            }
            b.setChanges(b.getDiffsCount() == 0 ? Provider.DiffResponse.DiffChanges.DIFF_NONE
                    : Provider.DiffResponse.DiffChanges.DIFF_SOME);
            // Like Terraform: the old object goes first (a branch holds one read-write endpoint, names are unique).
            b.setDeleteBeforeReplace(b.getReplacesCount() > 0);
            return b.build();
        });
    }

    @Override
    public void create(Provider.CreateRequest req, StreamObserver<Provider.CreateResponse> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            PropertyValues.Decoded in = PropertyValues.decode(req.getProperties(), r.schema(), false);
            ResourceEngine.Plan plan = plan(r, null, in.values());
            if (req.getPreview()) {
                return Provider.CreateResponse.newBuilder()
                        .setProperties(properties(r, plan.planned(), in.secrets())).build();
            }
            try {
                Map<String, Object> created = ResourceEngine.apply(r, api(), null, plan.planned());
                return Provider.CreateResponse.newBuilder().setId(id(created))
                        .setProperties(properties(r, created, in.secrets())).build();
            } catch (PartialCreate e) {
                // Pulumi records the half-made object from these details, so a later update or delete finds it.
                Map<String, Object> partial = ResourceEngine.partial(r.schema(), e.state());
                var details = Provider.ErrorResourceInitFailed.newBuilder().setId(id(partial))
                        .setProperties(properties(r, partial, in.secrets()))
                        .addReasons(describe(e.getCause() instanceof RuntimeException c ? c : e))
                        .setInputs(req.getProperties()).build();
                throw io.grpc.protobuf.StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                        .setCode(Status.Code.UNKNOWN.value())
                        .setMessage(describe(e.getCause() instanceof RuntimeException c ? c : e))
                        .addDetails(Any.pack(details)).build());
            }
        });
    }

    @Override
    public void read(Provider.ReadRequest req, StreamObserver<Provider.ReadResponse> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            boolean importing = req.getProperties().getFieldsCount() == 0;
            // `pulumi import` sends only the ID; it takes the Terraform import format, e.g. <project_id>/<branch_id>.
            Map<String, Object> current = importing ? r.importState(req.getId())
                    : state(r, req.getId(), req.getProperties()).values();
            Set<String> secrets = importing ? Set.of()
                    : PropertyValues.decode(req.getProperties(), r.schema(), false).secrets();
            Map<String, Object> fresh = ResourceEngine.refresh(r, api(), current);
            if (fresh == null) {
                return Provider.ReadResponse.getDefaultInstance(); // gone: the engine drops it from the stack
            }
            Map<String, Object> oldInputs = PropertyValues.decode(req.getInputs(), r.schema(), false).values();
            Map<String, Object> inputs = new LinkedHashMap<>();
            for (Attribute a : r.schema().attributes()) {
                boolean wanted = a.mode().configurable() && !a.name().equals("id")
                        && (importing || req.getInputs().getFieldsCount() == 0 ? fresh.get(a.name()) != null
                                : oldInputs.get(a.name()) != null);
                if (wanted) {
                    inputs.put(a.name(), fresh.get(a.name()));
                }
            }
            return Provider.ReadResponse.newBuilder().setId(id(fresh))
                    .setProperties(properties(r, fresh, secrets))
                    .setInputs(PropertyValues.encode(inputs, r.schema(), false, secretsOf(r, secrets), acceptSecrets))
                    .build();
        });
    }

    @Override
    public void update(Provider.UpdateRequest req, StreamObserver<Provider.UpdateResponse> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            Map<String, Object> prior = state(r, req.getId(), req.getOlds()).values();
            PropertyValues.Decoded news = PropertyValues.decode(req.getNews(), r.schema(), false);
            for (String ignored : req.getIgnoreChangesList()) {
                attributeByCamel(r.schema(), ignored).ifPresent(a -> news.values().put(a.name(), prior.get(a.name())));
            }
            ResourceEngine.Plan plan = plan(r, prior, news.values());
            Map<String, Object> result = req.getPreview() ? plan.planned()
                    : ResourceEngine.apply(r, api(), prior, plan.planned());
            return Provider.UpdateResponse.newBuilder().setProperties(properties(r, result, news.secrets())).build();
        });
    }

    @Override
    public void delete(Provider.DeleteRequest req, StreamObserver<Empty> out) {
        reply(out, () -> {
            ManagedResource r = resource(req.getType(), req.getUrn());
            r.delete(api(), state(r, req.getId(), req.getProperties()).values());
            return Empty.getDefaultInstance();
        });
    }

    // ---- functions and cancellation -----------------------------------------------------------

    @Override
    public void invoke(Provider.InvokeRequest req, StreamObserver<Provider.InvokeResponse> out) {
        reply(out, () -> {
            DataSource d = functions.get(req.getTok());
            if (d == null) {
                throw Status.NOT_FOUND.withDescription("unknown function " + req.getTok()).asRuntimeException();
            }
            PropertyValues.Decoded args = PropertyValues.decode(req.getArgs(), d.schema(), true);
            var b = Provider.InvokeResponse.newBuilder();
            for (String k : args.strangers()) {
                b.addFailures(failure(k, "unknown argument \"" + k + "\" for " + req.getTok()));
            }
            for (Attribute a : d.schema().attributes()) {
                if (a.mode() == Attribute.Mode.REQUIRED && args.values().get(a.name()) == null) {
                    b.addFailures(failure(Tokens.camel(a.name()),
                            "missing required argument \"" + Tokens.camel(a.name()) + "\""));
                }
            }
            for (Diag diag : ResourceEngine.validate(d.schema(), args.values(), d.validate(args.values()))) {
                b.addFailures(failure(propertyPath(diag.path()), message(diag)));
            }
            if (b.getFailuresCount() > 0) {
                return b.build();
            }
            Map<String, Object> result = d.read(api(), args.values());
            return b.setReturn(PropertyValues.encode(result, d.schema(), true,
                    secretsOf(d.schema(), args.secrets()), acceptSecrets)).build();
        });
    }

    @Override
    public void cancel(Empty req, StreamObserver<Empty> out) {
        // In-flight calls stop polling and retrying at their next step (ArborApi checks this flag).
        cancelled.set(true);
        reply(out, Empty::getDefaultInstance);
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private ManagedResource resource(String type, String urn) {
        // Older engines send only the URN: urn:pulumi:stack::project::arbor:index:Branch::name.
        String token = type.isEmpty() && urn.contains("::") ? urn.split("::")[2] : type;
        int nested = token.lastIndexOf('$');
        token = nested >= 0 ? token.substring(nested + 1) : token;
        ManagedResource r = resources.get(token);
        if (r == null) {
            throw Status.INVALID_ARGUMENT.withDescription("unknown resource type " + token).asRuntimeException();
        }
        return r;
    }

    /**
     * A resource's state: its properties plus Pulumi's resource ID as the model's {@code id}. A resource
     * brought in by {@code pulumi import} may keep the import ID (e.g. {@code <project_id>/<branch_id>}) as its
     * Pulumi ID; the model's import parser turns that back into the model's id.
     */
    private static PropertyValues.Decoded state(ManagedResource r, String id, Struct properties) {
        PropertyValues.Decoded d = PropertyValues.decode(properties, r.schema(), false);
        String modelId = id.isEmpty() ? null : id;
        if (id.contains("/")) {
            try {
                if (r.importState(id).get("id") instanceof String parsed) {
                    modelId = parsed;
                }
            } catch (RuntimeException notAnImportId) {
                // the model's own id has slashes of another shape: use it as it is
            }
        }
        d.values().put("id", modelId);
        return d;
    }

    /**
     * Terraform-style planning on Pulumi inputs: a configurable value the inputs leave out keeps its prior
     * computed value (as Terraform's proposed new state does), then the model's own plan rules apply.
     */
    private static ResourceEngine.Plan plan(ManagedResource r, Map<String, Object> prior, Map<String, Object> inputs) {
        Map<String, Object> config = new LinkedHashMap<>();
        Map<String, Object> proposed = new LinkedHashMap<>();
        for (Attribute a : r.schema().attributes()) {
            Object v = a.mode().configurable() ? inputs.get(a.name()) : null;
            config.put(a.name(), v);
            proposed.put(a.name(), v == null && a.mode().computed() && prior != null ? prior.get(a.name()) : v);
        }
        return ResourceEngine.plan(r, prior, proposed, config);
    }

    private Struct properties(ManagedResource r, Map<String, Object> values, Set<String> inputSecrets) {
        return PropertyValues.encode(values, r.schema(), false, secretsOf(r, inputSecrets), acceptSecrets);
    }

    private static Set<String> secretsOf(ManagedResource r, Set<String> inputSecrets) {
        return secretsOf(r.schema(), inputSecrets);
    }

    /** Sensitive attributes, plus whatever arrived as a secret: a secret input stays secret in the outputs. */
    private static Set<String> secretsOf(Schema s, Set<String> inputSecrets) {
        Set<String> out = new LinkedHashSet<>(inputSecrets);
        s.attributes().stream().filter(Attribute::sensitive).forEach(a -> out.add(a.name()));
        return out;
    }

    private static java.util.Optional<Attribute> attributeByCamel(Schema s, String key) {
        String top = key.split("[.\\[]", 2)[0];
        return s.attributes().stream().filter(a -> Tokens.camel(a.name()).equals(top)).findFirst();
    }

    private static String id(Map<String, Object> state) {
        Object id = state.get("id");
        return id == null ? "" : id.toString();
    }

    /** A diagnostic's attribute path as a Pulumi property path, e.g. {@code rules[2].columnName}. */
    static String propertyPath(List<String> steps) {
        StringBuilder sb = new StringBuilder();
        for (String step : steps) {
            if (step.startsWith("[")) {
                sb.append(step);
            } else {
                sb.append(sb.isEmpty() ? "" : ".").append(Tokens.camel(step));
            }
        }
        return sb.toString();
    }

    private static Provider.CheckFailure failure(String property, String reason) {
        return Provider.CheckFailure.newBuilder().setProperty(property).setReason(reason).build();
    }

    private static String message(Diag d) {
        return d.detail() == null || d.detail().isEmpty() ? d.summary() : d.summary() + ": " + d.detail();
    }

    /** The message Pulumi shows for a failed call; the API key never appears in it. */
    static String describe(RuntimeException e) {
        return switch (e) {
            case ProviderError p -> String.join("; ", p.diags().stream().map(PulumiProviderService::message).toList());
            case ApiException a -> "Arbor API error: HTTP " + a.status() + (a.code() == null ? "" : " " + a.code())
                    + ": " + a.getMessage() + (a.requestId() == null ? "" : " (request_id " + a.requestId() + ")");
            default -> e.toString();
        };
    }

    private static <T> void reply(StreamObserver<T> out, Supplier<T> body) {
        T value;
        try {
            value = body.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RuntimeException e) {
            out.onError(Status.UNKNOWN.withDescription(describe(e)).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
