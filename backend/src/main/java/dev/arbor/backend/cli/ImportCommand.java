package dev.arbor.backend.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arbor import}: a twin import of an external PostgreSQL into a branch, or {@code --resync} from the
 * source the branch remembers; shows the import's progress (tables, bytes) until it is done.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import an external PostgreSQL database into a branch (default: the default branch), or re-sync it.")
public final class ImportCommand extends ApiCommand {
    @Option(names = "--source-url", description = "postgresql://user:password@host:port/db (default: $ARBOR_SOURCE_URL; keeps the password out of `ps`).")
    String sourceUrl;

    @Option(names = "--resync", description = "Re-import from the source of the branch's last import.")
    boolean resync;

    @Option(names = "--branch", description = "Branch id or name (default: the default branch).")
    String branch;

    @Option(names = "--database-name", description = "Database on the branch (default: its only database).")
    String database;

    @Option(names = {"-j", "--jobs"}, description = "Parallel pg_dump/pg_restore jobs (default: 2).")
    Integer jobs;

    @Override
    void run(Session s) {
        String url = sourceUrl != null ? sourceUrl : System.getenv("ARBOR_SOURCE_URL");
        if (!resync && (url == null || url.isBlank())) throw new CliError(CliError.USAGE, "give --source-url (or ARBOR_SOURCE_URL), or --resync");
        JsonObject body = new JsonObject().put("mode", resync ? "resync" : "full");
        if (url != null && !url.isBlank()) body.put("source_url", url.strip());
        if (branch != null) body.put("branch_id", s.branch(branch).getString("id"));
        if (database != null) body.put("database_name", database);
        if (jobs != null) body.put("jobs", jobs);
        JsonObject r = s.api.post(s.projectPath() + "/import", body);
        s.await(r);
        JsonObject im = r.getJsonObject("import");
        String opId = r.getJsonArray("operations").getJsonObject(0).getString("id");
        JsonObject op = s.api.get(s.projectPath() + "/operations/" + opId).getJsonObject("operation");
        if (s.json) {
            s.printJson(new JsonObject().put("import", im).put("operation", op));
            return;
        }
        JsonObject p = op.getJsonObject("progress", new JsonObject());
        new Table("BRANCH", "DATABASE", "SOURCE", "MODE", "TABLES", "BYTES", "DURATION")
                .row(im.getString("branch_id"), im.getString("database_name"), im.getString("source"), im.getString("mode"),
                        p.getInteger("tables_done", 0) + "/" + p.getInteger("tables_total", 0),
                        OperationWatcher.bytes(p.getLong("bytes_done", 0L)), op.getLong("total_duration_ms", 0L) + " ms")
                .print(s.out);
    }
}
