package dev.arbor.backend.twin;

import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.backend.ops.BranchStorage;
import dev.arbor.backend.ops.Step;

import java.nio.file.Path;
import java.util.function.IntSupplier;

/**
 * Twin import (issue 9): an external PostgreSQL copied into a branch with pg_dump/pg_restore, re-synced on
 * demand. The API ({@code POST /projects/{id}/import}) probes the source and schedules an {@code import_data}
 * operation whose {@link #step} does the work; see docs/twin-import.md.
 */
public final class TwinImport {
    /** Operation param: the source URL encrypted with the server's secret key (never stored in clear). */
    public static final String SOURCE_ENC = "source_url_enc";
    public static final int DEFAULT_JOBS = 2;
    public static final int MAX_JOBS = 8;

    private final SourceProbe probe;
    private final ImportStep step;

    /**
     * @param pgBin     PostgreSQL client binaries (pg_dump, pg_restore, psql)
     * @param workRoot  dump directories live here while an import runs (private to this process's user)
     * @param proxyHost where the Postgres-protocol proxy listens; imports connect to endpoints through it
     */
    public TwinImport(Db db, Secrets secrets, BranchStorage storage, Path pgBin, Path workRoot, String proxyHost, IntSupplier proxyPort) {
        PgTools tools = new PgTools(pgBin);
        this.probe = new SourceProbe(tools, workRoot);
        this.step = new ImportStep(db, secrets, storage, tools, probe, workRoot, proxyHost, proxyPort);
    }

    public SourceProbe probe() { return probe; }

    /** {@code steps} plus this import's step for {@code import_data}. */
    public java.util.Map<OperationAction, Step> withStep(java.util.Map<OperationAction, Step> steps) {
        var all = new java.util.EnumMap<OperationAction, Step>(OperationAction.class);
        all.putAll(steps);
        all.put(OperationAction.import_data, step);
        return all;
    }

    /** The client tools' directory: ARBOR_PG_BIN or Debian's PostgreSQL 15 (checked when an import runs). */
    public static Path pgBin() {
        String env = System.getenv("ARBOR_PG_BIN");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("/usr/lib/postgresql/15/bin");
    }

    public Step step() { return step; }
}
