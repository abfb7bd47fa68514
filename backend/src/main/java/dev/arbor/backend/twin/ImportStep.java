package dev.arbor.backend.twin;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Endpoints;
import dev.arbor.backend.meta.Endpoints.Endpoint;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.Roles;
import dev.arbor.backend.meta.Secrets;
import dev.arbor.backend.meta.TwinImports;
import dev.arbor.backend.ops.BranchStorage;
import dev.arbor.backend.ops.PermanentFailure;
import dev.arbor.backend.ops.Step;
import dev.arbor.backend.ops.StepResult;
import dev.arbor.backend.twin.ImportProgress.Phase;
import dev.arbor.storage.TimelineId;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * The import_data step: {@code pg_dump -Fd -j} of the source into a private work dir, {@code pg_restore -j}
 * into a side database on the branch's own read_write endpoint (reached through the proxy as the database's
 * owner, so it never runs beside a second postgres on the timeline), then one transaction renames the side
 * database into place and the old one is dropped. A failure before the switch leaves the branch's database
 * untouched; a re-run (after a restart) starts over. Children keep their branch points: the restore writes
 * only to this branch's timeline.
 */
final class ImportStep implements Step {
    private static final long TOOL_TIMEOUT_SECONDS = 6 * 3600;
    private static final long REPORT_EVERY_NANOS = 250_000_000L;
    private static final int SWITCH_ATTEMPTS = 5;

    private final Db db;
    private final Secrets secrets;
    private final BranchStorage storage;
    private final PgTools tools;
    private final SourceProbe probe;
    private final Path workRoot;
    private final String proxyHost;
    private final IntSupplier proxyPort;

    ImportStep(Db db, Secrets secrets, BranchStorage storage, PgTools tools, SourceProbe probe, Path workRoot,
               String proxyHost, IntSupplier proxyPort) {
        this.db = db;
        this.secrets = secrets;
        this.storage = storage;
        this.tools = tools;
        this.probe = probe;
        this.workRoot = workRoot;
        this.proxyHost = proxyHost;
        this.proxyPort = proxyPort;
    }

    /** Where the restore connects: the branch's read_write endpoint as the database owner. Holds a password: never log. */
    private record Target(String endpointId, String database, String owner, String password, String timelineId) {
        @Override public String toString() { return "Target[" + endpointId + "/" + database + " as " + owner + "]"; }
    }

    @Override
    public StepResult run(Operation op) throws Exception {
        String branchId = op.branchId().orElseThrow(() -> new PermanentFailure("operation has no branch"));
        if (db.tx(c -> Branches.isDeleted(c, branchId))) return StepResult.skipped("branch " + branchId + " was deleted");
        JsonObject p = op.params();
        SourceUrl source = SourceUrl.parse(secrets.decrypt(p.getString(TwinImport.SOURCE_ENC)));
        String database = p.getString("database_name");
        int jobs = p.getInteger("jobs", TwinImport.DEFAULT_JOBS);
        Target target = db.tx(c -> target(c, branchId, database));
        Reporter report = new Reporter(op);
        Path work = workRoot.resolve(op.id().toString());
        SourceProbe.deleteTree(work);  // a re-run after a restart starts over
        Files.createDirectories(workRoot);
        Files.createDirectory(work, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            report.force(new ImportProgress(Phase.checking, 0, 0, 0, 0));
            SourceProbe.Stats stats;
            try {
                stats = probe.probe(source);
            } catch (SourceProbe.Unreachable e) {
                throw new PermanentFailure(e.getMessage());
            }
            Path dump = dump(source, stats, jobs, work, report);
            DumpItems items = DumpItems.of(dump, tools.run("pg_restore", List.of("-l", dump.toString()), null, null,
                    600, null, source::scrub));
            report.force(new ImportProgress(Phase.restoring, items.tables(), 0, items.bytes(), 0));
            Path pass = PgTools.passfile(work, "target.pgpass", target.password());
            String side = sideName(database, "_arbor_import");
            String old = sideName(database, "_arbor_old");
            psql(target, pass, "DROP DATABASE IF EXISTS " + ident(side) + " WITH (FORCE);\n"
                    + "DROP DATABASE IF EXISTS " + ident(old) + " WITH (FORCE);\n"
                    + "CREATE DATABASE " + ident(side) + ";\n", false);
            restore(target, side, pass, dump, items, jobs, report);
            // pg_restore --exit-on-error succeeded: every table's data is in, whether or not each "finished item"
            // line was read whole (parallel workers share one stderr and can split each other's lines)
            report.force(new ImportProgress(Phase.switching, items.tables(), items.tables(), items.bytes(), items.bytes()));
            switchIn(target, pass, side, old);
            psql(target, pass, "DROP DATABASE IF EXISTS " + ident(old) + " WITH (FORCE);\n", false);
            report.force(new ImportProgress(Phase.done, items.tables(), items.tables(), items.bytes(), items.bytes()));
        } catch (PgTools.ToolFailure e) {
            throw new PermanentFailure(source.scrub(e.getMessage()));
        } finally {
            SourceProbe.deleteTree(work);
        }
        long size = storage.logicalSize(new TimelineId(target.timelineId()));
        if (size >= 0) db.tx(c -> { Branches.setLogicalSize(c, branchId, size); return null; });
        return StepResult.DONE;
    }

    private Target target(Connection c, String branchId, String database) throws SQLException {
        Branch b = Branches.getIncludingDeleted(c, branchId).orElseThrow(() -> new PermanentFailure("branch " + branchId + " does not exist"));
        if (b.timelineId().isEmpty()) throw new PermanentFailure("branch " + branchId + " has no timeline yet");
        Endpoint e = Endpoints.byBranch(c, branchId).stream().filter(x -> x.type().equals("read_write")).findFirst()
                .orElseThrow(() -> new PermanentFailure("branch " + branchId + " has no read_write endpoint to import into"));
        if (e.disabled()) throw new PermanentFailure("endpoint " + e.id() + " is disabled");
        var d = Databases.get(c, branchId, database)
                .orElseThrow(() -> new PermanentFailure("database " + database + " does not exist on branch " + branchId));
        var role = Roles.get(c, branchId, d.ownerName()).orElseThrow(() -> new PermanentFailure("owner role " + d.ownerName() + " is gone"));
        String pw = role.passwordEnc().map(secrets::decrypt)
                .orElseThrow(() -> new PermanentFailure("role " + d.ownerName() + " has no stored password to import with"));
        return new Target(e.id(), database, d.ownerName(), pw, b.timelineId().get());
    }

    private Path dump(SourceUrl source, SourceProbe.Stats stats, int jobs, Path work, Reporter report) throws Exception {
        Path dump = work.resolve("dump");
        Path pass = PgTools.passfile(work, "source.pgpass", source.password().orElse(""));
        report.force(new ImportProgress(Phase.dumping, stats.tables(), 0, stats.bytes(), 0));
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<ImportProgress> now = () -> new ImportProgress(Phase.dumping, stats.tables(), done.get(), stats.bytes(), dirBytes(dump));
        // pg_dump prints a line per table; bytes written in between are picked up by the ticker
        try (Ticker t = Ticker.every("import-dump-progress", 500, () -> report.maybe(now))) {
            tools.run("pg_dump", List.of("-Fd", "-j", Integer.toString(jobs), "-Z", "0", "-v", "-w", "--no-publications",
                    "--no-subscriptions", "--no-security-labels", "--no-tablespaces", "-f", dump.toString(),
                    "-d", source.withoutPassword()), pass, null, TOOL_TIMEOUT_SECONDS, line -> {
                if (DumpItems.dumped(line, jobs > 1)) done.incrementAndGet();
                report.maybe(now);
            }, source::scrub);
        }
        return dump;
    }

    private void restore(Target t, String side, Path pass, Path dump, DumpItems items, int jobs, Reporter report) throws Exception {
        List<String> args = new ArrayList<>(List.of("-j", Integer.toString(jobs), "-v", "-w", "--no-owner", "--no-privileges",
                "--exit-on-error", "-d", conninfo(t, side), dump.toString()));
        java.util.concurrent.atomic.AtomicLong copying = new java.util.concurrent.atomic.AtomicLong();
        java.util.function.Supplier<ImportProgress> now = () -> new ImportProgress(Phase.restoring, items.tables(), items.tablesDone(),
                items.bytes(), items.bytesDone() + copying.get());
        // pg_restore reports a table once its data is in; a big table's COPY in flight shows in pg_stat_progress_copy
        String inFlight = "SELECT coalesce(sum(bytes_processed), 0) FROM pg_stat_progress_copy WHERE datname = " + literal(side);
        try (Ticker ticker = Ticker.every("import-restore-progress", 1000, () -> {
            try {
                copying.set(Long.parseLong(psql(t, pass, inFlight, false).strip()));
                report.maybe(now);
            } catch (IOException | NumberFormatException e) {
                // the endpoint is busy restoring; the next finished table reports
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            tools.run("pg_restore", args, pass, null, TOOL_TIMEOUT_SECONDS, line -> {
                if (items.restored(line)) {
                    copying.set(0);
                    report.maybe(now);
                }
            }, s -> s);
        }
    }

    /**
     * One transaction renames the restored side database into place (sessions on the old one that the owner
     * may end are ended first); a client that slips in between is retried a few times.
     */
    private void switchIn(Target t, Path pass, String side, String old) throws Exception {
        String db = literal(t.database());
        String script = "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = " + db
                + " AND pid <> pg_backend_pid() AND pg_has_role(current_user, usesysid, 'MEMBER');\n"
                + "SELECT format('ALTER DATABASE %I RENAME TO %I', " + db + ", " + literal(old) + ") WHERE EXISTS"
                + " (SELECT 1 FROM pg_database WHERE datname = " + db + ")\\gexec\n"
                + "ALTER DATABASE " + ident(side) + " RENAME TO " + ident(t.database()) + ";\n"
                // compute marks the databases it manages with a comment; the new one keeps the old one's
                + "SELECT format('COMMENT ON DATABASE %I IS %L', " + db + ", d) FROM (SELECT shobj_description(oid, 'pg_database') d"
                + " FROM pg_database WHERE datname = " + literal(old) + ") s WHERE d IS NOT NULL\\gexec\n";
        for (int attempt = 1; ; attempt++) {
            try {
                psql(t, pass, script, true);
                return;
            } catch (PgTools.ToolFailure e) {
                if (attempt >= SWITCH_ATTEMPTS || !e.getMessage().contains("being accessed by other users")) throw e;
                Thread.sleep(1000L * attempt);
            }
        }
    }

    /** Runs {@code script} on the target's {@code postgres} database; returns what it printed. */
    private String psql(Target t, Path pass, String script, boolean oneTransaction) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"));
        if (oneTransaction) args.add("--single-transaction");
        args.addAll(List.of("-d", conninfo(t, "postgres")));
        return tools.run("psql", args, pass, script, 600, null, s -> s);
    }

    /** libpq keywords for the branch's endpoint behind the proxy (which wakes it on connect). */
    private String conninfo(Target t, String database) {
        return "host=" + proxyHost + " port=" + proxyPort.getAsInt() + " dbname=" + kw(database) + " user=" + kw(t.owner())
                + " sslmode=require connect_timeout=120 options=" + kw("endpoint=" + t.endpointId())
                + " application_name=arbor-import";
    }

    private static String kw(String v) { return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"; }

    static String ident(String s) { return "\"" + s.replace("\"", "\"\"") + "\""; }

    static String literal(String s) { return "'" + s.replace("'", "''") + "'"; }

    /** A side database name within PostgreSQL's 63-byte limit. */
    static String sideName(String database, String suffix) {
        String base = database;
        while (base.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + suffix.length() > 63) base = base.substring(0, base.length() - 1);
        return base + suffix;
    }

    private static long dirBytes(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".dat")).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Writes progress into the operation at most every 250 ms (and always at a phase change). */
    private final class Reporter {
        private final Operation op;
        private long last;

        Reporter(Operation op) { this.op = op; }

        synchronized void force(ImportProgress p) {
            db.tx(c -> { TwinImports.setProgress(c, op.id(), p.json()); return null; });
            last = System.nanoTime();
        }

        synchronized void maybe(java.util.function.Supplier<ImportProgress> p) {
            if (System.nanoTime() - last >= REPORT_EVERY_NANOS) force(p.get());
        }
    }
}
