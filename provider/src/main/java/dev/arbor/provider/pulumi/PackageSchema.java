package dev.arbor.provider.pulumi;

import dev.arbor.provider.client.Json;
import dev.arbor.provider.client.Version;
import dev.arbor.provider.data.DataSource;
import dev.arbor.provider.resource.ManagedResource;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.ArborProvider;
import dev.arbor.provider.value.TfType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Pulumi package schema, derived from the same catalogue as the Terraform schema: every registered
 * resource and data source appears, with the model's descriptions, secrets and force-new rules.
 */
public final class PackageSchema {
    private PackageSchema() {}

    public static String json(ArborProvider catalogue) {
        Map<String, Object> types = new LinkedHashMap<>();
        Map<String, Object> pkg = new LinkedHashMap<>();
        pkg.put("name", Tokens.PACKAGE);
        pkg.put("displayName", "Arbor");
        pkg.put("version", Version.VALUE);
        pkg.put("description", "Manage Arbor projects, branches, endpoints, roles and databases (Neon-style "
                + "PostgreSQL branching).");
        pkg.put("keywords", List.of("pulumi", "arbor", "postgresql", "category/database", "kind/native"));
        pkg.put("publisher", "Arbor");
        pkg.put("repository", "https://github.com/arbordb/arbor");

        Map<String, Object> configVars = properties(ArborProvider.CONFIG, "arbor:index:Provider", false, false, types);
        pkg.put("config", obj("variables", configVars));
        pkg.put("provider", obj(
                "description", ArborProvider.CONFIG.description(),
                "inputProperties", configVars));

        Map<String, Object> resources = new LinkedHashMap<>();
        for (ManagedResource r : catalogue.resources().values()) {
            resources.put(Tokens.resource(r.typeName()), resource(r, types));
        }
        pkg.put("resources", resources);

        Map<String, Object> functions = new LinkedHashMap<>();
        for (DataSource d : catalogue.dataSources().values()) {
            functions.put(Tokens.function(d.typeName()), function(d, types));
        }
        pkg.put("functions", functions);
        pkg.put("types", types);
        return Json.write(pkg);
    }

    private static Map<String, Object> resource(ManagedResource r, Map<String, Object> types) {
        String token = Tokens.resource(r.typeName());
        Schema s = r.schema();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("description", s.description() + "\n\nImport ID: `" + r.importIdFormat() + "`.");
        spec.put("properties", properties(s, token, false, false, types));
        spec.put("required", required(s, true));
        spec.put("inputProperties", properties(s, token, false, true, types));
        spec.put("requiredInputs", required(s, false));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("description", "Input properties used for looking up and filtering " + token + " resources.");
        state.put("type", "object");
        state.put("properties", properties(s, token, false, false, types));
        spec.put("stateInputs", state);
        return spec;
    }

    private static Map<String, Object> function(DataSource d, Map<String, Object> types) {
        String token = Tokens.function(d.typeName());
        Schema s = d.schema();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("description", s.description());
        spec.put("inputs", obj("type", "object",
                "properties", properties(s, token, true, true, types), "required", required(s, false)));
        spec.put("outputs", obj("type", "object",
                "properties", properties(s, token, true, false, types), "required", required(s, true)));
        return spec;
    }

    /** Property specs; {@code inputsOnly} keeps what a user may set, {@code withId} keeps an {@code id} attribute. */
    private static Map<String, Object> properties(Schema s, String owner, boolean withId, boolean inputsOnly,
            Map<String, Object> types) {
        Map<String, Object> props = new LinkedHashMap<>();
        for (Attribute a : s.attributes()) {
            if ((!withId && a.name().equals("id")) || (inputsOnly && !a.mode().configurable())) {
                continue;
            }
            Map<String, Object> p = new LinkedHashMap<>(a.nested().isEmpty() ? type(a.type(), owner, a.name(), types)
                    : nestedList(a, owner, types));
            p.put("description", Schema.docDescription(a));
            if (a.sensitive()) {
                p.put("secret", true);
            }
            if (inputsOnly && a.defaultValue() != null) {
                p.put("default", a.defaultValue());
            }
            if (a.forceNew()) {
                p.put("replaceOnChanges", true);
                p.put("willReplaceOnChanges", true);
            }
            props.put(Tokens.camel(a.name()), p);
        }
        return props;
    }

    /** A nested list attribute: its element is a named object type whose fields keep their own docs and rules. */
    private static Map<String, Object> nestedList(Attribute a, String owner, Map<String, Object> types) {
        String token = Tokens.objectType(owner, a.name());
        Schema fields = new Schema(0, a.description(), a.nested());
        types.put(token, obj("type", "object", "properties", properties(fields, token, true, false, types),
                "required", required(fields, false)));
        return obj("type", "array", "items", obj("$ref", "#/types/" + token));
    }

    /** Required inputs, or (for outputs) everything that always has a value: required and defaulted attributes. */
    private static List<String> required(Schema s, boolean outputs) {
        List<String> names = new ArrayList<>();
        for (Attribute a : s.attributes()) {
            boolean always = a.mode() == Attribute.Mode.REQUIRED || (outputs && a.defaultValue() != null);
            if (always) {
                names.add(Tokens.camel(a.name()));
            }
        }
        return names;
    }

    /** An ordered JSON object from key/value pairs, so the schema text is the same on every run. */
    private static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> type(TfType t, String owner, String attribute, Map<String, Object> types) {
        return switch (t) {
            case TfType.Primitive p -> obj("type", switch (p.name()) {
                case "bool" -> "boolean";
                case "number" -> "number";
                default -> "string";
            });
            case TfType.ListOf l -> obj("type", "array", "items", type(l.element(), owner, attribute, types));
            case TfType.MapOf m -> obj("type", "object",
                    "additionalProperties", type(m.element(), owner, attribute, types));
            case TfType.ObjectOf o -> {
                String token = Tokens.objectType(owner, attribute);
                Map<String, Object> props = new LinkedHashMap<>();
                o.attributes().forEach((k, ft) -> props.put(Tokens.camel(k), type(ft, owner, attribute + "_" + k, types)));
                types.put(token, obj("type", "object", "properties", props));
                yield obj("$ref", "#/types/" + token);
            }
        };
    }
}
