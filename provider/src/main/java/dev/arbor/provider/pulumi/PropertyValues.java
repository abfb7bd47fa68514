package dev.arbor.provider.pulumi;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.value.TfType;
import dev.arbor.provider.value.Unknown;
import dev.arbor.provider.value.Values;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pulumi property values (google.protobuf.Struct, camelCase keys) to and from the model's state maps
 * (snake_case keys; null, {@link Unknown#VALUE}, String, BigDecimal, Boolean, List, Map). Pulumi encodes
 * an unknown as a sentinel string and a secret as an object carrying a signature key.
 */
public final class PropertyValues {
    public static final String UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    public static final String SIG_KEY = "4dabf18193072939515e22adb298388d";
    public static final String SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

    private PropertyValues() {}

    /** A decoded object: every schema attribute (null when absent), which ones were secret, and keys the schema lacks. */
    public record Decoded(Map<String, Object> values, Set<String> secrets, List<String> strangers) {}

    /**
     * Decodes top-level properties against a schema. {@code withId} false leaves the {@code id} attribute out:
     * for resources it is Pulumi's resource ID, never a property.
     */
    public static Decoded decode(Struct s, Schema schema, boolean withId) {
        Map<String, Attribute> byCamel = new LinkedHashMap<>();
        Map<String, Object> values = new LinkedHashMap<>();
        for (Attribute a : schema.attributes()) {
            values.put(a.name(), null);
            if (withId || !a.name().equals("id")) {
                byCamel.put(Tokens.camel(a.name()), a);
            }
        }
        Set<String> secrets = new LinkedHashSet<>();
        List<String> strangers = new ArrayList<>();
        if (s == null) {
            return new Decoded(values, secrets, strangers);
        }
        s.getFieldsMap().forEach((k, v) -> {
            Attribute a = byCamel.get(k);
            if (a == null) {
                strangers.add(k);
                return;
            }
            boolean[] secret = {false};
            Object plain = plain(v, secret);
            if (secret[0]) {
                secrets.add(a.name());
            }
            values.put(a.name(), typed(plain, a.type()));
        });
        return new Decoded(values, secrets, strangers);
    }

    /** A Struct with JSON-ish plain values, secrets unwrapped (for provider config, where the schema is camelCase). */
    public static Map<String, Object> plainMap(Struct s) {
        Map<String, Object> out = new LinkedHashMap<>();
        s.getFieldsMap().forEach((k, v) -> out.put(k, plain(v, new boolean[1])));
        return out;
    }

    private static Object plain(Value v, boolean[] secret) {
        return switch (v.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> null;
            case BOOL_VALUE -> v.getBoolValue();
            case NUMBER_VALUE -> number(v.getNumberValue());
            case STRING_VALUE -> UNKNOWN.equals(v.getStringValue()) ? Unknown.VALUE : v.getStringValue();
            case LIST_VALUE -> {
                List<Object> l = new ArrayList<>();
                v.getListValue().getValuesList().forEach(e -> l.add(plain(e, secret)));
                yield l;
            }
            case STRUCT_VALUE -> {
                Map<String, Value> f = v.getStructValue().getFieldsMap();
                Value sig = f.get(SIG_KEY);
                if (sig != null && SECRET_SIG.equals(sig.getStringValue())) {
                    secret[0] = true;
                    Value inner = f.get("value");
                    yield inner == null ? null : plain(inner, secret);
                }
                if (sig != null) {
                    // Assets, archives and resource references: nothing in Arbor's model takes them.
                    throw new IllegalArgumentException("unsupported Pulumi value kind " + sig.getStringValue());
                }
                Map<String, Object> m = new LinkedHashMap<>();
                f.forEach((k, e) -> m.put(k, plain(e, secret)));
                yield m;
            }
        };
    }

    private static BigDecimal number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return BigDecimal.valueOf((long) d);
        }
        return BigDecimal.valueOf(d);
    }

    /** Shapes a plain value like the model type: camelCase object keys back to snake_case, scalars coerced. */
    @SuppressWarnings("unchecked")
    static Object typed(Object v, TfType type) {
        if (v == null || v == Unknown.VALUE) {
            return v;
        }
        return switch (type) {
            case TfType.Primitive p -> Values.fromJson(v, p);
            case TfType.ListOf l -> ((List<Object>) v).stream().map(e -> typed(e, l.element())).toList();
            case TfType.MapOf m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                ((Map<String, Object>) v).forEach((k, e) -> out.put(k, typed(e, m.element())));
                yield out;
            }
            case TfType.ObjectOf o -> {
                Map<String, Object> in = (Map<String, Object>) v;
                Map<String, Object> out = new LinkedHashMap<>();
                o.attributes().forEach((k, t) -> out.put(k, typed(in.get(Tokens.camel(k)), t)));
                yield out;
            }
        };
    }

    /**
     * Encodes a model map as Pulumi properties. Null attributes are left out; {@code id} only when
     * {@code withId}; attributes named in {@code secret} are wrapped as secrets when {@code wrapSecrets}.
     */
    public static Struct encode(Map<String, Object> values, Schema schema, boolean withId, Set<String> secret,
            boolean wrapSecrets) {
        Struct.Builder b = Struct.newBuilder();
        for (Attribute a : schema.attributes()) {
            Object v = values.get(a.name());
            if (v == null || (!withId && a.name().equals("id"))) {
                continue;
            }
            Value pv = value(v, a.type());
            if (wrapSecrets && secret.contains(a.name())) {
                pv = secret(pv);
            }
            b.putFields(Tokens.camel(a.name()), pv);
        }
        return b.build();
    }

    public static Value secret(Value v) {
        return Value.newBuilder().setStructValue(Struct.newBuilder()
                .putFields(SIG_KEY, Value.newBuilder().setStringValue(SECRET_SIG).build())
                .putFields("value", v)).build();
    }

    @SuppressWarnings("unchecked")
    static Value value(Object v, TfType type) {
        if (v == null) {
            return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        }
        if (v == Unknown.VALUE) {
            return Value.newBuilder().setStringValue(UNKNOWN).build();
        }
        return switch (type) {
            case TfType.Primitive p -> switch (p.name()) {
                case "number" -> Value.newBuilder().setNumberValue(
                        v instanceof BigDecimal d ? d.doubleValue() : Double.parseDouble(v.toString())).build();
                case "bool" -> Value.newBuilder().setBoolValue((Boolean) v).build();
                default -> Value.newBuilder().setStringValue(v.toString()).build();
            };
            case TfType.ListOf l -> {
                ListValue.Builder lb = ListValue.newBuilder();
                ((List<Object>) v).forEach(e -> lb.addValues(value(e, l.element())));
                yield Value.newBuilder().setListValue(lb).build();
            }
            case TfType.MapOf m -> {
                Struct.Builder sb = Struct.newBuilder();
                ((Map<String, Object>) v).forEach((k, e) -> sb.putFields(k, value(e, m.element())));
                yield Value.newBuilder().setStructValue(sb).build();
            }
            case TfType.ObjectOf o -> {
                Map<String, Object> in = (Map<String, Object>) v;
                Struct.Builder sb = Struct.newBuilder();
                o.attributes().forEach((k, t) -> {
                    if (in.get(k) != null) {
                        sb.putFields(Tokens.camel(k), value(in.get(k), t));
                    }
                });
                yield Value.newBuilder().setStructValue(sb).build();
            }
        };
    }
}
