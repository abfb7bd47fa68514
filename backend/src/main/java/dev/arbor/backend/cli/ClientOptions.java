package dev.arbor.backend.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the API is and who calls it; shared by every client command (a picocli mixin). */
public final class ClientOptions {
    static final String DEFAULT_API = "http://127.0.0.1:4242/api/v2";
    static final String DEFAULT_KEY_FILE = ".arbor/admin-api-key";

    @Option(names = "--api-url", defaultValue = "${env:ARBOR_API_URL:-" + DEFAULT_API + "}",
            description = "Arbor API base URL (default: $ARBOR_API_URL or " + DEFAULT_API + ").")
    String apiUrl;

    @Option(names = "--api-key", description = "API key (default: $ARBOR_API_KEY, else the key file).")
    String apiKey;

    @Option(names = "--api-key-file", defaultValue = DEFAULT_KEY_FILE,
            description = "File holding the API key, as `arbor server` writes it (default: ${DEFAULT-VALUE}).")
    Path apiKeyFile;

    @Option(names = "--project-id", description = "Project to act on (default: the only project the key sees).")
    String projectId;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "Output format: table or json (default: ${DEFAULT-VALUE}).")
    String output;

    /** --api-key, then $ARBOR_API_KEY, then the key file. */
    String key() {
        if (apiKey != null && !apiKey.isBlank()) return apiKey.strip();
        String env = System.getenv("ARBOR_API_KEY");
        if (env != null && !env.isBlank()) return env.strip();
        try {
            if (Files.isReadable(apiKeyFile)) {
                String k = Files.readString(apiKeyFile).strip();
                if (!k.isEmpty()) return k;
            }
        } catch (IOException e) {
            throw new CliError(CliError.USAGE, "cannot read the API key file " + apiKeyFile + ": " + e.getMessage());
        }
        throw new CliError(CliError.USAGE, "no API key: pass --api-key, set ARBOR_API_KEY, or run from the directory holding "
                + DEFAULT_KEY_FILE + " (--api-key-file)");
    }

    boolean json() {
        return switch (output) {
            case "json" -> true;
            case "table" -> false;
            default -> throw new CliError(CliError.USAGE, "--output must be table or json, got " + output);
        };
    }
}
