package dev.arbor.backend.twin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Connects to the source with psql and reads how many tables (and bytes of them on disk) it will dump;
 * used by the API to turn an unreachable source into a 422 before anything is scheduled, and by the step
 * for the dump phase's progress totals.
 */
public final class SourceProbe {
    static final String STATS_SQL = "SELECT count(*), coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm')"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
            + " AND n.nspname NOT LIKE 'pg_temp%'";

    private final PgTools tools;
    private final Path scratch;

    SourceProbe(PgTools tools, Path scratch) {
        this.tools = tools;
        this.scratch = scratch;
    }

    /** The source's user tables and their size. */
    public record Stats(int tables, long bytes) {}

    /** The source cannot be reached, refused the login or the query; the message holds no password. */
    public static final class Unreachable extends Exception {
        Unreachable(String message) { super(message, null, false, false); }
    }

    public Stats probe(SourceUrl source) throws Unreachable, InterruptedException {
        Path dir = null;
        try {
            Files.createDirectories(scratch);
            dir = Files.createTempDirectory(scratch, "probe-");
            Path pass = PgTools.passfile(dir, "source.pgpass", source.password().orElse(""));
            String out = tools.run("psql", List.of("-X", "-A", "-t", "-F", " ", "-v", "ON_ERROR_STOP=1", "-w", "-c", STATS_SQL,
                    "-d", source.withoutPassword()), pass, null, 60, null, source::scrub).strip();
            String[] f = out.lines().reduce((a, b) -> b).orElse("").split(" ");
            return new Stats(Integer.parseInt(f[0]), Long.parseLong(f[1]));
        } catch (PgTools.ToolFailure e) {
            throw new Unreachable("cannot read the source database " + source.redacted() + ": "
                    + e.getMessage().replaceFirst("^psql failed \\(exit \\d+\\): ", ""));
        } catch (IOException | RuntimeException e) {
            throw new Unreachable("cannot read the source database " + source.redacted() + ": " + source.scrub(String.valueOf(e.getMessage())));
        } finally {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover scratch dir is removed with the next import of the same operation
        }
    }
}
