package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Empty;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.client.Json;
import dev.arbor.provider.it.ArborBackend;
import dev.arbor.provider.resource.State;
import dev.arbor.provider.tf.ArborProvider;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pulumirpc.Provider;
import pulumirpc.ResourceProviderGrpc.ResourceProviderBlockingStub;

/**
 * An engine simulator on the pulumirpc stubs: it runs the packaged {@code pulumi-resource-arbor} the way
 * the Pulumi engine does and walks Branch and Endpoint through a whole life cycle (GetSchema, Configure,
 * Check, Create(preview), Create, Read, Diff with a replacing change, Update, Delete, Read gone) against
 * a live Arbor server, checking each effect on the server over HTTP.
 */
class PulumiEngineIT {
    static final String UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    static final String SIG = "4dabf18193072939515e22adb298388d";
    static final String SECRET = "1b47061264138c4ac30d75fd1eb44270";

    static ArborBackend backend;
    static ArborApi http;
    static PulumiPlugin plugin;
    static ResourceProviderBlockingStub rpc;
    static String projectId;
    static final String suffix = Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    @BeforeAll
    static void start() throws Exception {
        backend = ArborBackend.get();
        http = backend.api();
        Map<String, Object> resp = http.post("/projects", Map.of("project", Map.of("name", "pulumi-" + suffix)));
        projectId = State.str(State.obj(resp, "project"), "id");
        http.awaitOperations(projectId, resp);
        Path dir = PulumiPlugin.unpack();
        // No ARBOR_* variables: the configuration must arrive through Configure, as from a stack's config.
        plugin = PulumiPlugin.start(dir, Map.of());
        rpc = plugin.stub();
        var conf = rpc.configure(Provider.ConfigureRequest.newBuilder()
                .setArgs(struct(Map.of("apiUrl", backend.apiUrl, "apiKey", secret(backend.apiKey), "version", "0.1.0")))
                .putVariables("arbor:config:apiUrl", backend.apiUrl)
                .setAcceptSecrets(true).setAcceptResources(true).build());
        assertThat(conf.getAcceptSecrets()).isTrue();
        assertThat(conf.getSupportsPreview()).isTrue();
    }

    @AfterAll
    static void stop() throws Exception {
        if (plugin != null) {
            assertThat(plugin.stop()).as("stdout after the port line").isEmpty();
        }
        if (projectId != null) {
            State.ignoreGone(() -> http.mutate("DELETE", projectId, "/projects/" + projectId, null));
        }
    }

    @Test
    void pluginInfoAndSchemaCoverTheWholeCatalogue() {
        assertThat(rpc.getPluginInfo(Empty.getDefaultInstance()).getVersion()).isEqualTo("0.1.0");
        Map<String, Object> schema = map(Json.parse(rpc.getSchema(Provider.GetSchemaRequest.getDefaultInstance())
                .getSchema()));
        assertThat(schema.get("name")).isEqualTo("arbor");
        Map<String, Object> resources = map(schema.get("resources"));
        // Derived from the Terraform catalogue: every arbor_* resource, and nothing else.
        assertThat(resources.keySet()).containsExactlyInAnyOrderElementsOf(new ArborProvider().resources().keySet()
                .stream().map(Tokens::resource).toList());
        assertThat(resources.keySet()).contains("arbor:index:Project", "arbor:index:Branch", "arbor:index:Endpoint",
                "arbor:index:Role", "arbor:index:Database", "arbor:index:MaskingRules");
        assertThat(map(schema.get("functions")).keySet()).containsExactlyInAnyOrder("arbor:index:getProject",
                "arbor:index:getBranch", "arbor:index:getBranches", "arbor:index:getConnectionUri");

        Map<String, Object> branch = map(resources.get("arbor:index:Branch"));
        Map<String, Object> inputs = map(branch.get("inputProperties"));
        assertThat(inputs).containsKeys("projectId", "name", "parentId", "schemaOnly", "protected", "expiresAt")
                .doesNotContainKeys("id", "createdAt", "logicalSize", "project_id");
        assertThat(map(inputs.get("schemaOnly"))).containsEntry("replaceOnChanges", true).containsEntry("default", false);
        assertThat(map(inputs.get("name"))).doesNotContainKey("replaceOnChanges");
        assertThat(map(branch.get("properties"))).containsKeys("createdAt", "logicalSize", "default")
                .doesNotContainKey("id");
        assertThat(branch.get("requiredInputs")).isEqualTo(List.of("projectId"));
        Map<String, Object> role = map(resources.get("arbor:index:Role"));
        assertThat(map(map(role.get("properties")).get("password"))).containsEntry("secret", true);
        Map<String, Object> uri = map(map(map(schema.get("functions")).get("arbor:index:getConnectionUri")).get("outputs"));
        assertThat(map(map(uri.get("properties")).get("uri"))).containsEntry("secret", true);
        assertThat(map(map(schema.get("config")).get("variables")).get("apiKey")).isEqualTo(
                map(map(map(schema.get("provider")).get("inputProperties")).get("apiKey")));
        assertThat(map(map(map(schema.get("config")).get("variables")).get("apiKey"))).containsEntry("secret", true);
        Map<String, Object> types = map(schema.get("types"));
        assertThat(types).containsKeys("arbor:index:getBranchesBranch", "arbor:index:MaskingRulesRule");
    }

    @Test
    void branchLifeCycle() {
        String type = "arbor:index:Branch";
        String urn = "urn:pulumi:dev::sim::" + type + "::feature";
        String name = "pl-br-" + suffix;

        var check = rpc.check(checkRequest(type, urn, Map.of("projectId", projectId, "name", name)));
        assertThat(check.getFailuresList()).isEmpty();
        Map<String, Object> inputs = plain(check.getInputs());
        assertThat(inputs).containsEntry("schemaOnly", false).containsEntry("protected", false)
                .containsEntry("name", name).containsEntry("projectId", projectId);

        var preview = rpc.create(Provider.CreateRequest.newBuilder().setUrn(urn).setType(type)
                .setProperties(check.getInputs()).setPreview(true).build());
        assertThat(preview.getId()).isEmpty();
        assertThat(plain(preview.getProperties())).containsEntry("createdAt", UNKNOWN).containsEntry("parentId", UNKNOWN)
                .containsEntry("name", name);
        assertThat(branchesNamed(name)).as("a preview creates nothing").isZero();

        var created = rpc.create(Provider.CreateRequest.newBuilder().setUrn(urn).setType(type)
                .setProperties(check.getInputs()).setTimeout(300).build());
        String id = created.getId();
        assertThat(id).startsWith("br-");
        Map<String, Object> outs = plain(created.getProperties());
        assertThat(outs).containsEntry("name", name).containsEntry("default", false).doesNotContainKey("id");
        assertThat((String) outs.get("createdAt")).isNotEqualTo(UNKNOWN);
        assertThat(State.str(branch(id), "name")).isEqualTo(name);

        var read = rpc.read(Provider.ReadRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(created.getProperties()).setInputs(check.getInputs()).build());
        assertThat(read.getId()).isEqualTo(id);
        assertThat(plain(read.getProperties())).containsEntry("name", name).containsEntry("parentId", outs.get("parentId"));
        assertThat(plain(read.getInputs())).containsEntry("name", name).containsEntry("projectId", projectId);

        // No change: an empty diff. A schema-only copy cannot be made in place: replace.
        var same = rpc.diff(diffRequest(type, urn, id, created.getProperties(), check.getInputs()));
        assertThat(same.getChanges()).isEqualTo(Provider.DiffResponse.DiffChanges.DIFF_NONE);
        Map<String, Object> schemaOnly = new LinkedHashMap<>(inputs);
        schemaOnly.put("schemaOnly", true);
        var replace = rpc.diff(diffRequest(type, urn, id, created.getProperties(), struct(schemaOnly)));
        assertThat(replace.getChanges()).isEqualTo(Provider.DiffResponse.DiffChanges.DIFF_SOME);
        assertThat(replace.getReplacesList()).containsExactly("schemaOnly");
        assertThat(replace.getDeleteBeforeReplace()).isTrue();
        assertThat(replace.getDetailedDiffMap().get("schemaOnly").getKind())
                .isEqualTo(Provider.PropertyDiff.Kind.UPDATE_REPLACE);

        // A rename and protection change in place.
        Map<String, Object> renamed = new LinkedHashMap<>(inputs);
        renamed.put("name", name + "-2");
        renamed.put("protected", true);
        var inPlace = rpc.diff(diffRequest(type, urn, id, created.getProperties(), struct(renamed)));
        assertThat(inPlace.getReplacesList()).isEmpty();
        assertThat(inPlace.getDiffsList()).containsExactlyInAnyOrder("name", "protected");
        var updatePreview = rpc.update(updateRequest(type, urn, id, created.getProperties(), struct(renamed), true));
        assertThat(plain(updatePreview.getProperties())).containsEntry("name", name + "-2");
        assertThat(State.str(branch(id), "name")).as("a preview changes nothing").isEqualTo(name);
        var updated = rpc.update(updateRequest(type, urn, id, created.getProperties(), struct(renamed), false));
        assertThat(plain(updated.getProperties())).containsEntry("name", name + "-2").containsEntry("protected", true);
        assertThat(State.str(branch(id), "name")).isEqualTo(name + "-2");
        assertThat(State.bool(branch(id), "protected")).isTrue();

        // getBranch finds it by id (a function from the data sources).
        var got = rpc.invoke(Provider.InvokeRequest.newBuilder().setTok("arbor:index:getBranch")
                .setArgs(struct(Map.of("projectId", projectId, "id", id))).build());
        assertThat(got.getFailuresList()).isEmpty();
        assertThat(plain(got.getReturn())).containsEntry("name", name + "-2").containsEntry("id", id);

        // Arbor refuses to delete a protected branch: the error reaches the engine and the branch stays.
        assertThatThrownBy(() -> rpc.delete(Provider.DeleteRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(updated.getProperties()).build()))
                .isInstanceOf(io.grpc.StatusRuntimeException.class).hasMessageContaining("Arbor API error");
        assertThat(branch(id)).isNotNull();
        renamed.put("protected", false);
        var unprotected = rpc.update(updateRequest(type, urn, id, updated.getProperties(), struct(renamed), false));

        // `pulumi import arbor:index:Branch feature <project_id>/<branch_id>`: a Read with only the import ID.
        var imported = rpc.read(Provider.ReadRequest.newBuilder().setId(projectId + "/" + id).setUrn(urn).setType(type)
                .build());
        assertThat(imported.getId()).isEqualTo(id);
        assertThat(plain(imported.getProperties())).containsEntry("name", name + "-2").containsEntry("projectId", projectId);
        assertThat(plain(imported.getInputs())).containsEntry("name", name + "-2").containsEntry("projectId", projectId)
                .doesNotContainKeys("createdAt", "logicalSize", "default");
        // Should the engine keep the import ID as the resource's ID, later calls still find the branch.
        var byImportId = rpc.read(Provider.ReadRequest.newBuilder().setId(projectId + "/" + id).setUrn(urn)
                .setType(type).setProperties(imported.getProperties()).build());
        assertThat(byImportId.getId()).isEqualTo(id);

        rpc.delete(Provider.DeleteRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(unprotected.getProperties()).build());
        assertThat(branch(id)).as("deleted on the server").isNull();
        var gone = rpc.read(Provider.ReadRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(unprotected.getProperties()).build());
        assertThat(gone.getId()).isEmpty();
        assertThat(gone.hasProperties()).isFalse();
    }

    @Test
    void endpointLifeCycle() {
        Map<String, Object> resp = http.post("/projects/" + projectId + "/branches",
                Map.of("branch", Map.of("name", "pl-ep-" + suffix)));
        String branchId = State.str(State.obj(resp, "branch"), "id");
        http.awaitOperations(projectId, resp);
        String type = "arbor:index:Endpoint";
        String urn = "urn:pulumi:dev::sim::" + type + "::rw";

        var check = rpc.check(checkRequest(type, urn, Map.of("projectId", projectId, "branchId", branchId,
                "suspendTimeoutSeconds", 300)));
        assertThat(check.getFailuresList()).isEmpty();
        Map<String, Object> inputs = plain(check.getInputs());
        assertThat(inputs).containsEntry("type", "read_write");

        var preview = rpc.create(Provider.CreateRequest.newBuilder().setUrn(urn).setType(type)
                .setProperties(check.getInputs()).setPreview(true).build());
        assertThat(plain(preview.getProperties())).containsEntry("host", UNKNOWN).containsEntry("port", UNKNOWN);

        var created = rpc.create(Provider.CreateRequest.newBuilder().setUrn(urn).setType(type)
                .setProperties(check.getInputs()).setTimeout(300).build());
        String id = created.getId();
        assertThat(id).startsWith("ep-");
        Map<String, Object> outs = plain(created.getProperties());
        assertThat(outs.get("host")).isInstanceOf(String.class);
        assertThat(((Number) outs.get("port")).intValue()).isPositive();
        Map<String, Object> ep = endpoint(id);
        assertThat(State.str(ep, "branch_id")).isEqualTo(branchId);
        assertThat(State.num(ep, "suspend_timeout_seconds")).isEqualByComparingTo(BigDecimal.valueOf(300));

        var read = rpc.read(Provider.ReadRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(created.getProperties()).setInputs(check.getInputs()).build());
        assertThat(read.getId()).isEqualTo(id);
        assertThat(plain(read.getProperties())).containsEntry("branchId", branchId).containsEntry("type", "read_write");

        Map<String, Object> readOnly = new LinkedHashMap<>(inputs);
        readOnly.put("type", "read_only");
        var replace = rpc.diff(diffRequest(type, urn, id, created.getProperties(), struct(readOnly)));
        assertThat(replace.getReplacesList()).containsExactly("type");
        assertThat(replace.getDeleteBeforeReplace()).isTrue();

        Map<String, Object> slower = new LinkedHashMap<>(inputs);
        slower.put("suspendTimeoutSeconds", 600);
        var inPlace = rpc.diff(diffRequest(type, urn, id, created.getProperties(), struct(slower)));
        assertThat(inPlace.getReplacesList()).isEmpty();
        assertThat(inPlace.getDiffsList()).containsExactly("suspendTimeoutSeconds");
        var updated = rpc.update(updateRequest(type, urn, id, created.getProperties(), struct(slower), false));
        assertThat(((Number) plain(updated.getProperties()).get("suspendTimeoutSeconds")).intValue()).isEqualTo(600);
        assertThat(State.num(endpoint(id), "suspend_timeout_seconds")).isEqualByComparingTo(BigDecimal.valueOf(600));

        rpc.delete(Provider.DeleteRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(updated.getProperties()).build());
        assertThat(endpoint(id)).as("deleted on the server").isNull();
        var gone = rpc.read(Provider.ReadRequest.newBuilder().setId(id).setUrn(urn).setType(type)
                .setProperties(updated.getProperties()).build());
        assertThat(gone.getId()).isEmpty();
    }

    @Test
    void rolePasswordIsASecretAndBadInputIsACheckFailure() {
        String type = "arbor:index:Role";
        String urn = "urn:pulumi:dev::sim::" + type + "::app";
        String mainBranch = State.str(State.list(http.get("/projects/" + projectId + "/branches"), "branches")
                .stream().filter(b -> Boolean.TRUE.equals(b.get("default")) || Boolean.TRUE.equals(b.get("primary")))
                .findFirst().orElseThrow(), "id");
        var check = rpc.check(checkRequest(type, urn, Map.of("projectId", projectId, "branchId", mainBranch,
                "name", "pl_app_" + suffix)));
        assertThat(check.getFailuresList()).isEmpty();
        var created = rpc.create(Provider.CreateRequest.newBuilder().setUrn(urn).setType(type)
                .setProperties(check.getInputs()).setTimeout(300).build());
        Value password = created.getProperties().getFieldsOrThrow("password");
        assertThat(password.getStructValue().getFieldsOrThrow(SIG).getStringValue()).isEqualTo(SECRET);
        assertThat(password.getStructValue().getFieldsOrThrow("value").getStringValue()).isNotBlank();
        rpc.delete(Provider.DeleteRequest.newBuilder().setId(created.getId()).setUrn(urn).setType(type)
                .setProperties(created.getProperties()).build());

        var bad = rpc.check(checkRequest("arbor:index:Endpoint", "urn:pulumi:dev::sim::arbor:index:Endpoint::x",
                Map.of("branchId", "br-x", "type", "read_sometimes", "colour", "red")));
        assertThat(bad.getFailuresList()).extracting(Provider.CheckFailure::getProperty)
                .containsExactlyInAnyOrder("projectId", "type", "colour");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static Map<String, Object> branch(String id) {
        return State.orNullIfGone(() -> State.obj(http.get("/projects/" + projectId + "/branches/" + id), "branch"));
    }

    private static Map<String, Object> endpoint(String id) {
        return State.orNullIfGone(() -> State.obj(http.get("/projects/" + projectId + "/endpoints/" + id), "endpoint"));
    }

    private static long branchesNamed(String name) {
        return State.list(http.get("/projects/" + projectId + "/branches"), "branches").stream()
                .filter(b -> name.equals(b.get("name"))).count();
    }

    static Provider.CheckRequest checkRequest(String type, String urn, Map<String, Object> news) {
        return Provider.CheckRequest.newBuilder().setUrn(urn).setType(type).setNews(struct(news))
                .setOlds(Struct.getDefaultInstance()).build();
    }

    static Provider.DiffRequest diffRequest(String type, String urn, String id, Struct olds, Struct news) {
        return Provider.DiffRequest.newBuilder().setUrn(urn).setType(type).setId(id).setOlds(olds).setNews(news).build();
    }

    static Provider.UpdateRequest updateRequest(String type, String urn, String id, Struct olds, Struct news,
            boolean preview) {
        return Provider.UpdateRequest.newBuilder().setUrn(urn).setType(type).setId(id).setOlds(olds).setNews(news)
                .setTimeout(300).setPreview(preview).build();
    }

    static Map<String, Object> secret(Object v) {
        return Map.of(SIG, SECRET, "value", v);
    }

    static Struct struct(Map<String, Object> m) {
        Struct.Builder b = Struct.newBuilder();
        m.forEach((k, v) -> b.putFields(k, value(v)));
        return b.build();
    }

    @SuppressWarnings("unchecked")
    static Value value(Object v) {
        return switch (v) {
            case null -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
            case String s -> Value.newBuilder().setStringValue(s).build();
            case Boolean b -> Value.newBuilder().setBoolValue(b).build();
            case Number n -> Value.newBuilder().setNumberValue(n.doubleValue()).build();
            case Map<?, ?> m -> Value.newBuilder().setStructValue(struct((Map<String, Object>) m)).build();
            case List<?> l -> {
                ListValue.Builder lb = ListValue.newBuilder();
                l.forEach(e -> lb.addValues(value(e)));
                yield Value.newBuilder().setListValue(lb).build();
            }
            default -> throw new IllegalArgumentException(v.getClass().toString());
        };
    }

    /** The wire value as plain Java, sentinels and secret wrappers left as they are. */
    static Map<String, Object> plain(Struct s) {
        Map<String, Object> m = new LinkedHashMap<>();
        s.getFieldsMap().forEach((k, v) -> m.put(k, plain(v)));
        return m;
    }

    static Object plain(Value v) {
        return switch (v.getKindCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue();
            case NUMBER_VALUE -> v.getNumberValue();
            case STRUCT_VALUE -> plain(v.getStructValue());
            case LIST_VALUE -> v.getListValue().getValuesList().stream().map(PulumiEngineIT::plain).toList();
            default -> null;
        };
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
