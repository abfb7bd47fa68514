package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code terraform test} in every example under examples/terraform, against the live server. The provider is
 * installed the way the README tells users to: the unchanged zip in a filesystem mirror, then terraform init.
 */
class ExamplesIT extends Acceptance {
    private static Path examples;
    private static Path cliConfig;

    private static synchronized void prepare() throws IOException, InterruptedException {
        if (examples != null) {
            return;
        }
        Terraform.packageDir(); // fails loudly when terraform or the zip is missing
        Path root = Path.of(System.getProperty("arbor.repo.root", "..")).toAbsolutePath().normalize();
        Path tmp = Files.createTempDirectory("arbor-examples-");
        Terraform.CREATED_EXTRA.add(tmp);
        Path zip = Path.of(System.getProperty("arbor.provider.zip"));
        Path mirror = Files.createDirectories(tmp.resolve("mirror/registry.terraform.io/arbordb/arbor"));
        Files.copy(zip, mirror.resolve(zip.getFileName()));
        cliConfig = tmp.resolve("mirror.tfrc");
        Files.writeString(cliConfig, """
                provider_installation {
                  filesystem_mirror {
                    path    = "%s"
                    include = ["registry.terraform.io/arbordb/arbor"]
                  }
                  direct {
                    exclude = ["registry.terraform.io/arbordb/arbor"]
                  }
                }
                """.formatted(tmp.resolve("mirror")));
        Path src = root.resolve("examples/terraform");
        Path dst = tmp.resolve("terraform");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                String rel = src.relativize(p).toString();
                if (rel.contains(".terraform") || rel.contains("terraform.tfstate")) {
                    continue;
                }
                Path t = dst.resolve(rel);
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        examples = dst;
    }

    private void terraformTest(String dir, int runs) throws Exception {
        prepare();
        Path ws = examples.resolve(dir);
        Map<String, String> env = new HashMap<>(backend().env());
        env.put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        Terraform.Result init = Terraform.run(ws, env, "init", "-no-color", "-input=false");
        assertThat(init.exit()).as("terraform init in %s:\n%s", dir, init.all()).isZero();
        assertThat(init.out()).contains("Installing arbordb/arbor v0.1.0");
        Terraform.Result test = Terraform.run(ws, env, "test", "-no-color");
        assertThat(test.exit()).as("terraform test in %s:\n%s", dir, test.all()).isZero();
        assertThat(test.out()).contains("Success! " + runs + " passed, 0 failed.");
        // terraform init unpacks without timestamps; the launcher restores the jar's build mtime so the
        // AOT cache shipped next to it stays valid.
        Path jar = ws.resolve(".terraform/providers/registry.terraform.io/arbordb/arbor/0.1.0/linux_amd64/arbor-provider.jar");
        assertThat(Files.getLastModifiedTime(jar).toMillis()).isEqualTo(1767225600000L);
    }

    @Test
    void quickstart() throws Exception {
        terraformTest("quickstart", 2);
    }

    @Test
    void devBranchModule() throws Exception {
        terraformTest("modules/dev-branch", 4);
    }

    @Test
    void previewBranchModule() throws Exception {
        terraformTest("modules/preview-branch", 3);
    }

    @Test
    void ciBranchModule() throws Exception {
        terraformTest("modules/ci-branch", 3);
    }

    @Test
    void anonTemplateModule() throws Exception {
        terraformTest("modules/anon-template", 5);
    }
}
