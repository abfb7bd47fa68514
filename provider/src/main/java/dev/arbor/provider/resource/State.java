package dev.arbor.provider.resource;

import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.tf.ProviderError;
import dev.arbor.provider.value.Unknown;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Small helpers shared by resources and data sources for reading state and API JSON. */
public final class State {
    private State() {}

    public static Map<String, Object> empty(Schema schema) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Attribute a : schema.attributes()) {
            m.put(a.name(), null);
        }
        return m;
    }

    public static String str(Map<String, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        if (v == null || v == Unknown.VALUE) {
            return null;
        }
        return v instanceof BigDecimal d ? d.toPlainString() : v.toString();
    }

    public static BigDecimal num(Map<String, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        if (v == null || v == Unknown.VALUE) {
            return null;
        }
        return v instanceof BigDecimal d ? d : new BigDecimal(v.toString());
    }

    public static Boolean bool(Map<String, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        if (v == null || v == Unknown.VALUE) {
            return null;
        }
        return v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString());
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> obj(Map<String, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v instanceof Map<?, ?> ? (Map<String, Object>) v : null;
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> list(Map<String, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v instanceof List<?> ? (List<Map<String, Object>>) v : List.of();
    }

    /** Runs a GET, turning 404 into null (the object is gone). */
    public static <T> T orNullIfGone(Supplier<T> call) {
        try {
            return call.get();
        } catch (ApiException e) {
            if (e.notFound()) {
                return null;
            }
            throw e;
        }
    }

    /** Runs a DELETE, treating 404 as already deleted. */
    public static void ignoreGone(Runnable call) {
        try {
            call.run();
        } catch (ApiException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }

    /** Splits an import id of {@code parts} slash-separated non-empty segments. */
    public static String[] splitImportId(String id, int parts, String format) {
        String[] seg = id.split("/", -1);
        if (seg.length != parts || java.util.Arrays.stream(seg).anyMatch(String::isBlank)) {
            throw new ProviderError(Diag.error("Invalid import ID",
                    "Expected an import ID of the form " + format + ", got \"" + id + "\"."));
        }
        return seg;
    }

    /** A partial state from an import id: its slash-separated segments go to {@code attributes}, in order. */
    public static Map<String, Object> imported(Schema schema, String id, String format, String... attributes) {
        String[] seg = splitImportId(id, attributes.length, format);
        Map<String, Object> s = empty(schema);
        for (int i = 0; i < seg.length; i++) {
            s.put(attributes[i], seg[i]);
        }
        return s;
    }

    /** The object as read back after an update; it must still exist. */
    public static Map<String, Object> readBack(Map<String, Object> fresh, String what) {
        if (fresh == null) {
            throw new IllegalStateException(what + " vanished during update");
        }
        return fresh;
    }
}
