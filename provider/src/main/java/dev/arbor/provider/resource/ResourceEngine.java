package dev.arbor.provider.resource;

import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.schema.Validator;
import dev.arbor.provider.tf.Diag;
import dev.arbor.provider.value.Unknown;
import dev.arbor.provider.value.Values;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The protocol rules every resource shares: validation with attribute paths, planning
 * ("known after apply" for computed values, {@code requires_replace} for force-new changes),
 * and merging apply results so a known planned value is never contradicted.
 */
public final class ResourceEngine {
    private ResourceEngine() {}

    public record Plan(Map<String, Object> planned, List<String> requiresReplace) {}

    /** Per-attribute validators and required checks, then the resource's own cross-attribute rules. */
    public static List<Diag> validate(Schema schema, Map<String, Object> config, List<Diag> extra) {
        List<Diag> diags = new ArrayList<>();
        for (Attribute a : schema.attributes()) {
            Object v = config.get(a.name());
            if (v == null || v == Unknown.VALUE || Values.containsUnknown(v)) {
                continue;
            }
            for (Validator val : a.validators()) {
                String msg = val.check(v);
                if (msg != null) {
                    diags.add(Diag.attributeError(a.name(), "Invalid value for \"" + a.name() + "\"",
                            "The attribute \"" + a.name() + "\" " + msg + "."));
                }
            }
        }
        diags.addAll(extra);
        return diags;
    }

    public static Plan plan(ManagedResource r, Map<String, Object> prior, Map<String, Object> proposed,
            Map<String, Object> config) {
        Schema schema = r.schema();
        Map<String, Object> planned = new LinkedHashMap<>(proposed);
        List<String> replace = new ArrayList<>();
        if (prior == null) {
            for (Attribute a : schema.attributes()) {
                if (a.mode().computed() && config.get(a.name()) == null) {
                    planned.put(a.name(), a.defaultValue() != null ? a.defaultValue() : Unknown.VALUE);
                }
            }
        } else {
            for (Attribute a : schema.attributes()) {
                if (a.defaultValue() != null && config.get(a.name()) == null) {
                    planned.put(a.name(), a.defaultValue());
                }
            }
            boolean changed = false;
            for (Attribute a : schema.attributes()) {
                if (!a.mode().configurable()) {
                    continue;
                }
                Object before = prior.get(a.name());
                Object after = planned.get(a.name());
                if (!Values.equal(before, after)) {
                    changed = true;
                    if (a.forceNew()) {
                        replace.add(a.name());
                    }
                }
            }
            if (changed) {
                for (Attribute a : schema.attributes()) {
                    if (a.refreshOnUpdate()) {
                        planned.put(a.name(), Unknown.VALUE);
                    }
                }
            }
        }
        r.modifyPlan(prior, config, planned);
        return new Plan(planned, replace);
    }

    /** Create or update, then reconcile: known planned values stand, unknown ones come from the API. */
    public static Map<String, Object> apply(ManagedResource r, ArborApi api, Map<String, Object> prior,
            Map<String, Object> planned) {
        Map<String, Object> result = prior == null ? r.create(api, planned) : r.update(api, prior, planned);
        return reconcile(r.schema(), planned, result);
    }

    /** A partially created object's state: whatever is known, unknowns as null (Terraform taints it). */
    public static Map<String, Object> partial(Schema schema, Map<String, Object> state) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Attribute a : schema.attributes()) {
            Object v = state.get(a.name());
            out.put(a.name(), Values.containsUnknown(v) ? null : v);
        }
        return out;
    }

    static Map<String, Object> reconcile(Schema schema, Map<String, Object> planned, Map<String, Object> result) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Attribute a : schema.attributes()) {
            Object p = planned.get(a.name());
            Object v = result == null ? null : result.get(a.name());
            if (p != null && !Values.containsUnknown(p)) {
                out.put(a.name(), p);
            } else if (p == null && a.mode() == Attribute.Mode.OPTIONAL) {
                out.put(a.name(), null);
            } else {
                out.put(a.name(), Values.containsUnknown(v) ? null : v);
            }
        }
        return out;
    }

    /**
     * Refresh: a timestamp the API formats differently but that names the same instant keeps the
     * state's spelling, so a refresh never invents a diff.
     */
    public static Map<String, Object> refresh(ManagedResource r, ArborApi api, Map<String, Object> state) {
        Map<String, Object> fresh = r.read(api, state);
        if (fresh == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Attribute a : r.schema().attributes()) {
            Object before = state.get(a.name());
            Object after = fresh.get(a.name());
            out.put(a.name(), sameInstant(before, after) ? before : after);
        }
        return out;
    }

    static boolean sameInstant(Object a, Object b) {
        if (!(a instanceof String x) || !(b instanceof String y) || x.length() < 10 || y.length() < 10) {
            return false;
        }
        try {
            return OffsetDateTime.parse(x).toInstant().equals(OffsetDateTime.parse(y).toInstant());
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
