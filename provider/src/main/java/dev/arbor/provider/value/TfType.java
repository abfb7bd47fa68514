package dev.arbor.provider.value;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** The slice of Terraform's type system the provider's schemas use. */
public sealed interface TfType {
    TfType STRING = new Primitive("string");
    TfType NUMBER = new Primitive("number");
    TfType BOOL = new Primitive("bool");

    /** The cty type JSON Terraform expects in {@code Schema.Attribute.type}. */
    String json();

    /** Human name used in docs, e.g. {@code list(object)}. */
    String docName();

    record Primitive(String name) implements TfType {
        public String json() {
            return "\"" + name + "\"";
        }

        public String docName() {
            return name;
        }
    }

    record ListOf(TfType element) implements TfType {
        public String json() {
            return "[\"list\"," + element.json() + "]";
        }

        public String docName() {
            return "list(" + element.docName() + ")";
        }
    }

    record MapOf(TfType element) implements TfType {
        public String json() {
            return "[\"map\"," + element.json() + "]";
        }

        public String docName() {
            return "map(" + element.docName() + ")";
        }
    }

    record ObjectOf(Map<String, TfType> attributes) implements TfType {
        public ObjectOf {
            attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        }

        public String json() {
            return "[\"object\",{" + attributes.entrySet().stream()
                    .map(e -> "\"" + e.getKey() + "\":" + e.getValue().json())
                    .collect(Collectors.joining(",")) + "}]";
        }

        public String docName() {
            return "object";
        }
    }
}
