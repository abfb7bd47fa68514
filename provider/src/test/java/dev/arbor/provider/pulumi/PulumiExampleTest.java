package dev.arbor.provider.pulumi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.client.Json;
import dev.arbor.provider.tf.ArborProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * examples/pulumi/Pulumi.yaml against the plugin's schema: every resource type, property, function argument
 * and {@code ${name.property}} reference must exist, and required inputs must be set. (The Pulumi CLI that
 * would run the program cannot be installed here.)
 */
class PulumiExampleTest {
    private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z0-9_:]+):(.*)$");
    private static final Pattern REF = Pattern.compile("\\$\\{([A-Za-z0-9_]+)\\.([A-Za-z0-9_]+)}");

    record Block(String name, String type, Map<String, String> properties) {}

    @Test
    @SuppressWarnings("unchecked")
    void exampleProgramMatchesTheSchema() throws Exception {
        Path root = Path.of(System.getProperty("arbor.repo.root", "..")).toAbsolutePath().normalize();
        List<String> lines = Files.readAllLines(root.resolve("examples/pulumi/Pulumi.yaml"));
        Map<String, Object> schema = (Map<String, Object>) Json.parse(PackageSchema.json(new ArborProvider()));
        Map<String, Object> resources = (Map<String, Object>) schema.get("resources");
        Map<String, Object> functions = (Map<String, Object>) schema.get("functions");

        List<Block> blocks = parse(lines);
        assertThat(blocks).extracting(Block::type).contains("arbor:index:Project", "arbor:index:Branch",
                "arbor:index:Endpoint", "arbor:index:getConnectionUri");
        Map<String, String> typeOf = new LinkedHashMap<>();
        for (Block b : blocks) {
            typeOf.put(b.name(), b.type());
        }
        for (Block b : blocks) {
            boolean function = b.type().contains(":get");
            Map<String, Object> spec = (Map<String, Object>) (function ? functions : resources).get(b.type());
            assertThat(spec).as("%s: type %s is in the schema", b.name(), b.type()).isNotNull();
            Map<String, Object> inputs = (Map<String, Object>) (function
                    ? ((Map<String, Object>) spec.get("inputs")).get("properties") : spec.get("inputProperties"));
            List<String> required = (List<String>) (function
                    ? ((Map<String, Object>) spec.get("inputs")).get("required") : spec.get("requiredInputs"));
            assertThat(inputs.keySet()).as("%s properties", b.name()).containsAll(b.properties().keySet());
            assertThat(b.properties().keySet()).as("%s required inputs", b.name()).containsAll(required);
            for (String value : b.properties().values()) {
                Matcher m = REF.matcher(value);
                while (m.find()) {
                    String target = typeOf.get(m.group(1));
                    assertThat(target).as("reference %s", m.group()).isNotNull();
                    Map<String, Object> outputs = (Map<String, Object>) ((Map<String, Object>) resources.get(target))
                            .get("properties");
                    assertThat(m.group(2).equals("id") || outputs.containsKey(m.group(2)))
                            .as("reference %s: %s has output %s", m.group(), target, m.group(2)).isTrue();
                }
            }
        }
        assertThat(String.join("\n", lines)).contains("path: ../../provider/target/pulumi-plugin");
    }

    /** Resources ({@code type:} + {@code properties:}) and invokes ({@code function:} + {@code arguments:}). */
    private static List<Block> parse(List<String> lines) {
        List<Block> out = new ArrayList<>();
        String name = null;
        String type = null;
        Map<String, String> props = null;
        int propIndent = -1;
        for (String raw : lines) {
            String line = raw.replaceAll("\\s+#.*$", "");
            Matcher m = KEY.matcher(line);
            if (line.isBlank() || line.trim().startsWith("#") || !m.matches()) {
                continue;
            }
            int indent = m.group(1).length();
            String key = m.group(2);
            String value = m.group(3).trim();
            if (props != null && indent == propIndent) {
                props.put(key, value);
                continue;
            }
            if (props != null && indent < propIndent) {
                out.add(new Block(name, type, props));
                props = null;
            }
            if (indent == 2 && value.isEmpty()) {
                name = key;
            } else if ((key.equals("type") || key.equals("function")) && value.startsWith("arbor:")) {
                type = value;
            } else if (key.equals("properties") || key.equals("arguments")) {
                props = new LinkedHashMap<>();
                propIndent = indent + 2;
            }
        }
        if (props != null) {
            out.add(new Block(name, type, props));
        }
        return out;
    }
}
