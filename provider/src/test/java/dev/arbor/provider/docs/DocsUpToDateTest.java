package dev.arbor.provider.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.tf.ArborProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed registry docs must equal what the schemas render. To regenerate:
 * {@code ./mvnw -B -ntp -pl provider test -Dtest=DocsUpToDateTest -Darbor.docs.write=true}.
 */
class DocsUpToDateTest {
    private static final Path DOCS = Path.of(System.getProperty("arbor.repo.root", "..")).resolve("docs");

    @Test
    void committedDocsMatchTheSchemas() throws Exception {
        if (Boolean.getBoolean("arbor.docs.write")) {
            DocsGenerator.write(DOCS);
        }
        Map<String, String> expected = DocsGenerator.render(new ArborProvider());
        assertThat(expected).containsKeys("index.md", "resources/project.md", "resources/branch.md",
                "resources/endpoint.md", "resources/role.md", "resources/database.md", "data-sources/project.md",
                "data-sources/branch.md", "data-sources/branches.md", "data-sources/connection_uri.md");
        for (var e : expected.entrySet()) {
            Path f = DOCS.resolve(e.getKey());
            assertThat(f).as("docs/%s is missing; regenerate with -Darbor.docs.write=true", e.getKey()).exists();
            assertThat(Files.readString(f, StandardCharsets.UTF_8))
                    .as("docs/%s is out of date; regenerate with "
                            + "./mvnw -pl provider test -Dtest=DocsUpToDateTest -Darbor.docs.write=true", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    @Test
    void everyAttributeIsDocumented() {
        Map<String, String> docs = DocsGenerator.render(new ArborProvider());
        new ArborProvider().resources().values().forEach(r -> r.schema().attributes().forEach(a -> {
            assertThat(a.description()).as("%s.%s description", r.typeName(), a.name()).isNotBlank();
            assertThat(docs.get("resources/" + DocsGenerator.shortName(r.typeName()) + ".md"))
                    .contains("- `" + a.name() + "` (");
        }));
        assertThat(docs.get("resources/branch.md"))
                .contains("`parent_lsn` (String) Branch from the parent at this LSN")
                .contains("Changing this forces a new resource.")
                .contains("terraform import arbor_branch.example <project_id>/<branch_id>");
    }
}
