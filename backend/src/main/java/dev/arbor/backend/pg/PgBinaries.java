package dev.arbor.backend.pg;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the PostgreSQL server binaries live (Debian's postgresql-15 by default). */
public record PgBinaries(Path binDir) {
    public static final Path DEFAULT = Path.of("/usr/lib/postgresql/15/bin");

    public static PgBinaries locate() {
        String env = System.getenv("ARBOR_PG_BIN");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : DEFAULT;
        if (!Files.isExecutable(dir.resolve("postgres"))) {
            throw new IllegalStateException("PostgreSQL 15 server binaries not found in " + dir
                    + " (install postgresql-15 or set ARBOR_PG_BIN)");
        }
        return new PgBinaries(dir);
    }

    public Path path(String tool) { return binDir.resolve(tool); }
}
