package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real terraform CLI against the packaged provider: the zip is unpacked once into a temp dir
 * and wired in through a dev_overrides CLI config (TF_CLI_CONFIG_FILE), with TF_IN_AUTOMATION=1.
 */
public final class Terraform {
    public static final Path BINARY = Path.of("/usr/local/bin/terraform");
    private static Path cliConfig;
    private static Path packageDir;

    public record Result(int exit, String out, String err, Path log) {
        public String all() {
            return out + "\n" + err;
        }

        public Result ok() {
            assertThat(exit).as("terraform failed:\n%s\n--- provider/plugin lines of %s:\n%s", all(), log, pluginLog())
                    .isZero();
            return this;
        }

        /** The plugin-related lines of TF_LOG (kept per command in the workspace), for failure messages. */
        public String pluginLog() {
            try {
                return Files.readAllLines(log).stream()
                        .filter(l -> l.contains("plugin") && (l.contains("ERROR") || l.contains("WARN")
                                || l.contains("exited") || l.contains("arbor-provider") || l.contains("stderr")))
                        .limit(80).collect(java.util.stream.Collectors.joining("\n"));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }

    private Terraform() {}

    public static synchronized Path packageDir() throws IOException, InterruptedException {
        if (packageDir == null) {
            if (!Files.isExecutable(BINARY)) {
                throw new IllegalStateException("terraform CLI missing at " + BINARY
                        + ": these tests need the real terraform binary (v1.11+)");
            }
            Path zip = Path.of(System.getProperty("arbor.provider.zip",
                    "target/terraform-provider-arbor_0.1.0_linux_amd64.zip"));
            if (!Files.isRegularFile(zip)) {
                throw new IllegalStateException("provider package " + zip + " is not built; run ./mvnw -pl provider package");
            }
            Path root = Files.createTempDirectory("arbor-tf-");
            CREATED.add(root);
            Path pkg = Files.createDirectories(root.resolve("pkg"));
            Process p = new ProcessBuilder("unzip", "-q", zip.toAbsolutePath().toString(), "-d", pkg.toString())
                    .inheritIO().start();
            assertThat(p.waitFor()).as("unzip of the provider package").isZero();
            cliConfig = root.resolve("cli.tfrc");
            Files.writeString(cliConfig, """
                    provider_installation {
                      dev_overrides {
                        "arbordb/arbor" = "%s"
                      }
                      direct {}
                    }
                    """.formatted(pkg));
            packageDir = pkg;
        }
        return packageDir;
    }

    private static final List<Path> CREATED = new java.util.concurrent.CopyOnWriteArrayList<>();
    static final List<Path> CREATED_EXTRA = CREATED;

    static {
        // Workspaces (state, TF_LOG files) are removed when the test JVM exits; -Darbor.it.keep=true keeps them.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!Boolean.getBoolean("arbor.it.keep")) {
                CREATED.forEach(Terraform::deleteTree);
            }
        }));
    }

    static void deleteTree(Path root) {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** A fresh working directory holding {@code main.tf}. */
    public static Path workspace(String mainTf) throws IOException, InterruptedException {
        packageDir();
        Path dir = Files.createTempDirectory("arbor-ws-");
        CREATED.add(dir);
        write(dir, mainTf);
        return dir;
    }

    public static void write(Path dir, String mainTf) throws IOException {
        Files.writeString(dir.resolve("main.tf"), mainTf, StandardCharsets.UTF_8);
    }

    public static Result run(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        packageDir();
        List<String> cmd = new ArrayList<>();
        cmd.add(BINARY.toString());
        cmd.addAll(List.of(args));
        if (args.length > 0 && List.of("plan", "apply", "destroy", "import", "validate").contains(args[0])) {
            cmd.add(2, "-no-color");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        // Plugin caches would bypass the package under test.
        pb.environment().remove("TF_PLUGIN_CACHE_DIR");
        pb.environment().put("TF_IN_AUTOMATION", "1");
        pb.environment().put("CHECKPOINT_DISABLE", "1");
        pb.environment().putAll(env);
        Path log = Files.createTempFile(dir, "tf-" + (args.length > 0 ? args[0] : "x") + "-", ".log");
        pb.environment().put("TF_LOG", "DEBUG");
        pb.environment().put("TF_LOG_PATH", log.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("terraform " + String.join(" ", args) + " timed out in " + dir);
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err), log);
        Files.delete(out);
        Files.delete(err);
        return r;
    }
}
