package dev.arbor.backend.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arbor connection-string [branch]}: the URI the API builds (through the proxy), ready for psql. */
@Command(name = "connection-string", mixinStandardHelpOptions = true,
        description = "Print a branch's connection URI (psql \"$(arbor connection-string dev)\").")
public final class ConnectionStringCommand extends ApiCommand {
    @Parameters(index = "0", arity = "0..1", description = "Branch id or name (default: the default branch).")
    String branch;

    @Option(names = "--role-name", description = "Role (default: the branch's only role).")
    String role;

    @Option(names = "--database-name", description = "Database (default: the branch's only database).")
    String database;

    @Option(names = "--pooled", description = "The pooled URI.")
    boolean pooled;

    @Override
    void run(Session s) {
        JsonObject b = s.branch(branch);
        String base = s.projectPath() + "/branches/" + b.getString("id");
        String r = role != null ? role : only(s.api.get(base + "/roles").getJsonArray("roles"), "role", "--role-name");
        String d = database != null ? database : only(s.api.get(base + "/databases").getJsonArray("databases"), "database", "--database-name");
        JsonObject answer = s.api.get(s.projectPath() + "/connection_uri?branch_id=" + ApiClient.enc(b.getString("id"))
                + "&role_name=" + ApiClient.enc(r) + "&database_name=" + ApiClient.enc(d) + (pooled ? "&pooled=true" : ""));
        if (s.json) s.printJson(answer);
        else s.out.println(answer.getString("uri"));
    }

    private static String only(JsonArray items, String what, String option) {
        if (items == null || items.size() != 1) {
            throw new CliError(CliError.USAGE, "the branch has " + (items == null ? 0 : items.size()) + " " + what + "s; choose one with " + option);
        }
        return items.getJsonObject(0).getString("name");
    }
}
