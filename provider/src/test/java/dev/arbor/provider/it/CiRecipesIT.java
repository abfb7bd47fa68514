package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The CI recipes in examples/ci: {@code examples/ci/check.sh} runs the GitHub workflows' own {@code run:}
 * lines (preview branch open → sync → close, and a per-build branch with cleanup) with the real terraform
 * CLI and the provider zip just built, against the live server, checking each effect through the API and
 * psql. It lives here, not in the backend module, because the provider zip is built after the backend.
 */
class CiRecipesIT extends Acceptance {
    @Test
    void workflowStepsWorkAgainstALiveServer() throws Exception {
        Terraform.packageDir(); // fails loudly when terraform or the zip is missing
        Path root = Path.of(System.getProperty("arbor.repo.root", "..")).toAbsolutePath().normalize();
        Path zip = Path.of(System.getProperty("arbor.provider.zip"));
        Path log = Files.createTempFile("arbor-ci-check-", ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("examples/ci/check.sh").toString(), zip.toString())
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(backend().env());
        Process p = pb.start();
        boolean exited = p.waitFor(10, TimeUnit.MINUTES);
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(log);
        Files.deleteIfExists(log);
        assertThat(exited).as("check.sh did not finish in 10 minutes:\n%s", out).isTrue();
        assertThat(p.exitValue()).as("examples/ci/check.sh failed:\n%s", out).isZero();
        assertThat(out).contains("ok  reset drops the PR's own table", "ok  preview branch gone", "ok  ci branch gone",
                "check: ok, 10 workflow steps run");
    }
}
