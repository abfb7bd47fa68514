package dev.arbor.provider.value;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** Helpers over the provider's value shapes (see {@link Msgpack}). */
public final class Values {
    private Values() {}

    /** Deep equality with numeric comparison by value (1 == 1.0). */
    public static boolean equal(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
            return x.compareTo(y) == 0;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int k = 0; k < x.size(); k++) {
                if (!equal(x.get(k), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (!x.keySet().equals(y.keySet())) {
                return false;
            }
            for (var e : x.entrySet()) {
                if (!equal(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** True when the value or anything inside it is unknown. */
    public static boolean containsUnknown(Object v) {
        if (v == Unknown.VALUE) {
            return true;
        }
        if (v instanceof List<?> l) {
            return l.stream().anyMatch(Values::containsUnknown);
        }
        if (v instanceof Map<?, ?> m) {
            return m.values().stream().anyMatch(Values::containsUnknown);
        }
        return false;
    }

    /** Converts a JSON-decoded value (state file or API) into the shape of the given type. */
    @SuppressWarnings("unchecked")
    public static Object fromJson(Object v, TfType type) {
        if (v == null) {
            return null;
        }
        return switch (type) {
            case TfType.Primitive p -> switch (p.name()) {
                case "string" -> v instanceof BigDecimal d ? d.toPlainString() : v.toString();
                case "number" -> v instanceof BigDecimal d ? d : new BigDecimal(v.toString());
                case "bool" -> v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString());
                default -> v;
            };
            case TfType.ListOf l -> ((List<Object>) v).stream().map(e -> fromJson(e, l.element())).toList();
            case TfType.MapOf m -> {
                var out = new java.util.LinkedHashMap<String, Object>();
                ((Map<String, Object>) v).forEach((k, e) -> out.put(k, fromJson(e, m.element())));
                yield out;
            }
            case TfType.ObjectOf o -> {
                var in = (Map<String, Object>) v;
                var out = new java.util.LinkedHashMap<String, Object>();
                o.attributes().forEach((k, t) -> out.put(k, fromJson(in.get(k), t)));
                yield out;
            }
        };
    }
}
