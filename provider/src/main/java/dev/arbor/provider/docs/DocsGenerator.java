package dev.arbor.provider.docs;

import dev.arbor.provider.data.DataSource;
import dev.arbor.provider.resource.ManagedResource;
import dev.arbor.provider.schema.Attribute;
import dev.arbor.provider.schema.Schema;
import dev.arbor.provider.tf.ArborProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the Terraform-registry docs ({@code docs/index.md}, {@code docs/resources/*.md},
 * {@code docs/data-sources/*.md}) from the provider's schemas, so the docs cannot drift from them.
 * {@code DocsUpToDateTest} fails when the committed files differ.
 */
public final class DocsGenerator {
    private DocsGenerator() {}

    /** Relative path (under {@code docs/}) to file content. */
    public static Map<String, String> render(ArborProvider p) {
        Map<String, String> files = new TreeMap<>();
        files.put("index.md", index());
        for (ManagedResource r : p.resources().values()) {
            files.put("resources/" + shortName(r.typeName()) + ".md", resource(r));
        }
        for (DataSource d : p.dataSources().values()) {
            files.put("data-sources/" + shortName(d.typeName()) + ".md", dataSource(d));
        }
        return files;
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args.length > 0 ? args[0] : "docs"));
    }

    public static void write(Path docsDir) throws IOException {
        for (var e : render(new ArborProvider()).entrySet()) {
            Path f = docsDir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
        }
    }

    static String shortName(String type) {
        return type.substring("arbor_".length());
    }

    private static String frontMatter(String title, String description) {
        return "---\npage_title: \"" + title + "\"\nsubcategory: \"\"\ndescription: |-\n  "
                + description.replace("\n", "\n  ") + "\n---\n\n";
    }

    private static String index() {
        Schema s = ArborProvider.CONFIG;
        StringBuilder sb = new StringBuilder(frontMatter("Arbor Provider", s.description()));
        sb.append("# Arbor Provider\n\n").append(s.description()).append("\n\n");
        sb.append("Every mutating call waits for the operations Arbor returns before Terraform moves on, and calls ")
                .append("answered with HTTP 423, 429 or 503 are retried with backoff, so parallel applies in one ")
                .append("project are safe. Objects deleted outside Terraform are dropped from state on refresh ")
                .append("and planned for re-creation.\n\n");
        sb.append("## Example Usage\n\n```terraform\n").append(Examples.PROVIDER).append("```\n\n");
        sb.append(schemaSection(s));
        return sb.toString();
    }

    private static String resource(ManagedResource r) {
        Schema s = r.schema();
        StringBuilder sb = new StringBuilder(frontMatter(r.typeName() + " Resource - terraform-provider-arbor",
                s.description()));
        sb.append("# ").append(r.typeName()).append(" (Resource)\n\n").append(s.description()).append("\n\n");
        sb.append("## Example Usage\n\n```terraform\n").append(Examples.forType(r.typeName())).append("```\n\n");
        sb.append(schemaSection(s));
        sb.append("## Import\n\nImport ID: `").append(r.importIdFormat()).append("`.\n\n```terraform\nimport {\n  to = ")
                .append(r.typeName()).append(".example\n  id = \"").append(r.importIdFormat()).append("\"\n}\n```\n\n")
                .append("```shell\nterraform import ").append(r.typeName()).append(".example ")
                .append(r.importIdFormat()).append("\n```\n");
        return sb.toString();
    }

    private static String dataSource(DataSource d) {
        Schema s = d.schema();
        StringBuilder sb = new StringBuilder(frontMatter(d.typeName() + " Data Source - terraform-provider-arbor",
                s.description()));
        sb.append("# ").append(d.typeName()).append(" (Data Source)\n\n").append(s.description()).append("\n\n");
        sb.append("## Example Usage\n\n```terraform\n").append(Examples.forType("data." + d.typeName()))
                .append("```\n\n");
        sb.append(schemaSection(s));
        return sb.toString();
    }

    private static String schemaSection(Schema s) {
        StringBuilder sb = new StringBuilder("## Schema\n\n");
        section(sb, "Required", s.attributes().stream().filter(a -> a.mode() == Attribute.Mode.REQUIRED).toList());
        section(sb, "Optional", s.attributes().stream()
                .filter(a -> a.mode() == Attribute.Mode.OPTIONAL || a.mode() == Attribute.Mode.OPTIONAL_COMPUTED)
                .toList());
        section(sb, "Read-Only", s.attributes().stream().filter(a -> a.mode() == Attribute.Mode.COMPUTED).toList());
        for (Attribute a : s.attributes()) {
            if (!a.nested().isEmpty()) {
                sb.append("<a id=\"nestedatt--").append(a.name()).append("\"></a>\n### Nested Schema for `")
                        .append(a.name()).append("`\n\n");
                section(sb, "Required", a.nested().stream().filter(f -> f.mode() == Attribute.Mode.REQUIRED).toList());
                section(sb, "Optional", a.nested().stream().filter(f -> f.mode() != Attribute.Mode.REQUIRED).toList());
            }
        }
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<Attribute> attrs) {
        if (attrs.isEmpty()) {
            return;
        }
        sb.append("### ").append(title).append("\n\n");
        for (Attribute a : attrs.stream().sorted((x, y) -> x.name().compareTo(y.name())).toList()) {
            String type = a.nested().isEmpty() ? a.type().docName() : "list of object";
            sb.append("- `").append(a.name()).append("` (").append(Character.toUpperCase(type.charAt(0)))
                    .append(type.substring(1)).append(a.sensitive() ? ", Sensitive" : "").append(") ")
                    .append(Schema.docDescription(a))
                    .append(a.nested().isEmpty() ? "" : " (see [below for nested schema](#nestedatt--" + a.name() + "))")
                    .append('\n');
        }
        sb.append('\n');
    }
}
