package dev.arbor.backend.compute.process;

import dev.arbor.backend.compute.volume.OsAccount;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL binaries endpoints run, and the OS user they run as. PostgreSQL refuses root, so when this
 * JVM is root every command is wrapped in {@code setpriv}, which execs in place: the pid we hold is the postmaster's.
 */
public record PgInstall(Path binDir, OsAccount runAs) {
    public static final Path DEFAULT_BIN = Path.of("/usr/lib/postgresql/15/bin");

    public PgInstall {
        if (!Files.isExecutable(binDir.resolve("postgres")))
            throw new IllegalStateException("PostgreSQL server binaries not found in " + binDir
                    + " (install Debian's postgresql-15, scripts/install-deps, or configure the bin dir)");
    }

    /** Default binaries (ARBOR_PG_BIN overrides), run as the postgres user when we are root. */
    public static PgInstall locate() {
        String env = System.getenv("ARBOR_PG_BIN");
        Path bin = env != null && !env.isBlank() ? Path.of(env) : DEFAULT_BIN;
        OsAccount self = OsAccount.current();
        return new PgInstall(bin, self.isRoot() ? OsAccount.lookup("postgres") : self);
    }

    public Path tool(String name) { return binDir.resolve(name); }

    public List<String> command(String tool, List<String> args) {
        List<String> cmd = new ArrayList<>();
        if (OsAccount.current().uid() != runAs.uid()) {
            cmd.addAll(List.of("setpriv", "--reuid=" + runAs.uid(), "--regid=" + runAs.gid(), "--init-groups", "--"));
        }
        cmd.add(tool(tool).toString());
        cmd.addAll(args);
        return cmd;
    }

    /** A process builder with a clean libpq environment (no inherited PGHOST/PGDATA/...). */
    public ProcessBuilder builder(String tool, List<String> args) {
        ProcessBuilder pb = new ProcessBuilder(command(tool, args));
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().put("LC_ALL", "C");
        return pb;
    }
}
