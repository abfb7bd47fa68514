package dev.arbor.provider.schema;

import dev.arbor.provider.value.TfType;
import java.util.ArrayList;
import java.util.List;

/**
 * One schema attribute. {@code forceNew} marks what the backend cannot change in place;
 * {@code defaultValue} is planned for an optional+computed attribute left out of the config;
 * {@code refreshOnUpdate} computed values are planned unknown whenever the object is updated.
 * {@code nested} is non-empty for a list of objects declared as a nested attribute (protocol 6
 * {@code nested_type}), so each object field can be optional and documented on its own.
 */
public record Attribute(
        String name,
        TfType type,
        Mode mode,
        boolean sensitive,
        boolean forceNew,
        boolean refreshOnUpdate,
        Object defaultValue,
        String description,
        List<Validator> validators,
        List<Attribute> nested) {

    public Attribute {
        validators = List.copyOf(validators);
        nested = List.copyOf(nested);
    }

    /** A plain (not nested) attribute. */
    public Attribute(String name, TfType type, Mode mode, boolean sensitive, boolean forceNew, boolean refreshOnUpdate,
            Object defaultValue, String description, List<Validator> validators) {
        this(name, type, mode, sensitive, forceNew, refreshOnUpdate, defaultValue, description, validators, List.of());
    }

    public enum Mode {
        REQUIRED, OPTIONAL, OPTIONAL_COMPUTED, COMPUTED;

        public boolean computed() {
            return this == OPTIONAL_COMPUTED || this == COMPUTED;
        }

        public boolean configurable() {
            return this != COMPUTED;
        }
    }

    public static Builder string(String name) {
        return new Builder(name, TfType.STRING);
    }

    public static Builder number(String name) {
        return new Builder(name, TfType.NUMBER);
    }

    public static Builder bool(String name) {
        return new Builder(name, TfType.BOOL);
    }

    public static Builder of(String name, TfType type) {
        return new Builder(name, type);
    }

    /** A list of objects whose fields are the given attributes (a protocol 6 nested attribute, nesting LIST). */
    public static Builder nestedList(String name, List<Attribute> fields) {
        java.util.Map<String, TfType> types = new java.util.LinkedHashMap<>();
        fields.forEach(f -> types.put(f.name(), f.type()));
        Builder b = new Builder(name, new TfType.ListOf(new TfType.ObjectOf(types)));
        b.nested = List.copyOf(fields);
        return b;
    }

    public static final class Builder {
        private final String name;
        private final TfType type;
        private Mode mode = Mode.OPTIONAL;
        private boolean sensitive;
        private boolean forceNew;
        private boolean refreshOnUpdate;
        private Object defaultValue;
        private String description = "";
        private final List<Validator> validators = new ArrayList<>();
        private List<Attribute> nested = List.of();

        private Builder(String name, TfType type) {
            this.name = name;
            this.type = type;
        }

        public Builder required() {
            mode = Mode.REQUIRED;
            return this;
        }

        public Builder optional() {
            mode = Mode.OPTIONAL;
            return this;
        }

        public Builder optionalComputed() {
            mode = Mode.OPTIONAL_COMPUTED;
            return this;
        }

        public Builder computed() {
            mode = Mode.COMPUTED;
            return this;
        }

        public Builder sensitive() {
            sensitive = true;
            return this;
        }

        public Builder forceNew() {
            forceNew = true;
            return this;
        }

        public Builder refreshOnUpdate() {
            refreshOnUpdate = true;
            return this;
        }

        public Builder defaultValue(Object v) {
            defaultValue = v;
            mode = Mode.OPTIONAL_COMPUTED;
            return this;
        }

        public Builder description(String d) {
            description = d;
            return this;
        }

        public Builder validate(Validator v) {
            validators.add(v);
            return this;
        }

        public Attribute build() {
            return new Attribute(name, type, mode, sensitive, forceNew, refreshOnUpdate, defaultValue, description,
                    List.copyOf(validators), nested);
        }
    }
}
