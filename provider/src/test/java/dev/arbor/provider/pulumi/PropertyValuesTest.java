package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.value.TfType;
import dev.arbor.provider.value.Unknown;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pulumi wire values to the model and back: names, numbers, unknowns, secrets, nested objects. */
class PropertyValuesTest {
    static final Schema SCHEMA = new Schema(0, "t", List.of(
            Attribute.string("id").computed().build(),
            Attribute.string("project_id").required().build(),
            Attribute.number("suspend_timeout_seconds").optional().build(),
            Attribute.string("password").computed().sensitive().build(),
            Attribute.of("pg_settings", new TfType.MapOf(TfType.STRING)).optional().build(),
            Attribute.of("rules", new TfType.ListOf(new TfType.ObjectOf(Map.of("column_name", TfType.STRING))))
                    .optional().build()));

    static Value s(String v) {
        return Value.newBuilder().setStringValue(v).build();
    }

    @Test
    void decodesCamelCaseUnknownsSecretsAndStrangers() {
        Struct in = Struct.newBuilder()
                .putFields("projectId", PropertyValues.secret(s("p-1")))
                .putFields("suspendTimeoutSeconds", Value.newBuilder().setNumberValue(300.0).build())
                .putFields("password", s(PropertyValues.UNKNOWN))
                .putFields("pgSettings", Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("work_mem", s("4MB"))).build())
                .putFields("rules", Value.newBuilder().setListValue(com.google.protobuf.ListValue.newBuilder()
                        .addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
                                .putFields("columnName", s("email"))))).build())
                .putFields("id", s("not-a-property"))
                .putFields("colour", s("red"))
                .build();
        PropertyValues.Decoded d = PropertyValues.decode(in, SCHEMA, false);
        assertThat(d.values()).containsEntry("project_id", "p-1").containsEntry("password", Unknown.VALUE)
                .containsEntry("id", null);
        // 300.0 on the wire is the whole number 300 to the API (no "300.0" in a request body).
        assertThat(d.values().get("suspend_timeout_seconds")).isEqualTo(BigDecimal.valueOf(300));
        assertThat(d.values().get("pg_settings")).isEqualTo(Map.of("work_mem", "4MB"));
        assertThat(d.values().get("rules")).isEqualTo(List.of(Map.of("column_name", "email")));
        assertThat(d.secrets()).containsExactly("project_id");
        assertThat(d.strangers()).containsExactlyInAnyOrder("id", "colour");
    }

    @Test
    void encodesSecretsUnknownsAndLeavesOutNullsAndId() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("id", "r-1");
        state.put("project_id", "p-1");
        state.put("suspend_timeout_seconds", new BigDecimal("600"));
        state.put("password", "hunter2");
        state.put("pg_settings", null);
        state.put("rules", List.of(Map.of("column_name", "email")));
        Struct out = PropertyValues.encode(state, SCHEMA, false, Set.of("password"), true);
        assertThat(out.getFieldsMap()).doesNotContainKeys("id", "pgSettings");
        assertThat(out.getFieldsOrThrow("suspendTimeoutSeconds").getNumberValue()).isEqualTo(600.0);
        Struct secret = out.getFieldsOrThrow("password").getStructValue();
        assertThat(secret.getFieldsOrThrow(PropertyValues.SIG_KEY).getStringValue()).isEqualTo(PropertyValues.SECRET_SIG);
        assertThat(secret.getFieldsOrThrow("value").getStringValue()).isEqualTo("hunter2");
        assertThat(out.getFieldsOrThrow("rules").getListValue().getValues(0).getStructValue()
                .getFieldsOrThrow("columnName").getStringValue()).isEqualTo("email");

        // An engine that did not accept secrets gets plain values; unknowns become the sentinel.
        state.put("password", Unknown.VALUE);
        Struct plain = PropertyValues.encode(state, SCHEMA, true, Set.of("password"), false);
        assertThat(plain.getFieldsOrThrow("password").getStringValue()).isEqualTo(PropertyValues.UNKNOWN);
        assertThat(plain.getFieldsOrThrow("id").getStringValue()).isEqualTo("r-1");
    }

    @Test
    void tokensFollowTheBridgeNaming() {
        assertThat(Tokens.resource("arbor_masking_rules")).isEqualTo("arbor:index:MaskingRules");
        assertThat(Tokens.function("arbor_connection_uri")).isEqualTo("arbor:index:getConnectionUri");
        assertThat(Tokens.camel("history_retention_seconds")).isEqualTo("historyRetentionSeconds");
        assertThat(Tokens.objectType("arbor:index:getBranches", "branches")).isEqualTo("arbor:index:getBranchesBranch");
        assertThat(PulumiProviderService.propertyPath(List.of("rules", "[2]", "column_name")))
                .isEqualTo("rules[2].columnName");
    }
}
