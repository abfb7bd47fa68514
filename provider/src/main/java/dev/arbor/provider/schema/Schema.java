package dev.arbor.provider.schema;

import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import dev.arbor.provider.value.TfType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A flat block schema (the provider needs no nested blocks) plus its object type. */
public record Schema(long version, String description, List<Attribute> attributes) {

    public Schema {
        attributes = List.copyOf(attributes);
    }

    public TfType.ObjectOf objectType() {
        Map<String, TfType> m = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            m.put(a.name(), a.type());
        }
        return new TfType.ObjectOf(m);
    }

    public Attribute attribute(String name) {
        for (Attribute a : attributes) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("no attribute " + name);
    }

    public Tfplugin6.Schema toProto() {
        var block = Tfplugin6.Schema.Block.newBuilder()
                .setVersion(version)
                .setDescription(description)
                .setDescriptionKind(Tfplugin6.StringKind.MARKDOWN);
        for (Attribute a : attributes) {
            block.addAttributes(attributeProto(a));
        }
        return Tfplugin6.Schema.newBuilder().setVersion(version).setBlock(block).build();
    }

    private static Tfplugin6.Schema.Attribute attributeProto(Attribute a) {
        var b = Tfplugin6.Schema.Attribute.newBuilder()
                .setName(a.name())
                .setDescription(docDescription(a))
                .setDescriptionKind(Tfplugin6.StringKind.MARKDOWN)
                .setRequired(a.mode() == Attribute.Mode.REQUIRED)
                .setOptional(a.mode() == Attribute.Mode.OPTIONAL || a.mode() == Attribute.Mode.OPTIONAL_COMPUTED)
                .setComputed(a.mode().computed())
                .setSensitive(a.sensitive());
        if (a.nested().isEmpty()) {
            b.setType(com.google.protobuf.ByteString.copyFrom(a.type().json(), StandardCharsets.UTF_8));
        } else {
            var obj = Tfplugin6.Schema.Object.newBuilder().setNesting(Tfplugin6.Schema.Object.NestingMode.LIST);
            a.nested().forEach(f -> obj.addAttributes(attributeProto(f)));
            b.setNestedType(obj);
        }
        return b.build();
    }

    /** The description as shown by {@code terraform providers schema} and in the generated docs. */
    public static String docDescription(Attribute a) {
        StringBuilder sb = new StringBuilder(a.description());
        for (Validator v : a.validators()) {
            String d = v.describe();
            if (!d.isEmpty()) {
                sb.append(' ').append(d);
            }
        }
        if (a.defaultValue() != null) {
            sb.append(" Defaults to `").append(a.defaultValue()).append("`.");
        }
        if (a.forceNew()) {
            sb.append(" Changing this forces a new resource.");
        }
        return sb.toString().trim();
    }
}
