package dev.arbor.backend.compute.process;

import java.io.IOException;
import java.util.List;

/**
 * SQL run by compute itself, as the superuser over the endpoint's private unix socket, via psql with the
 * script on stdin (never on the command line, where `ps` would show it).
 */
public final class AdminSql {
    private AdminSql() {}

    public static String run(PgInstall pg, PostgresServer server, String database, String script) throws IOException {
        var pb = pg.builder("psql", List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                "-h", server.socketDir().toString(), "-p", Integer.toString(server.port()),
                "-U", ClusterTemplate.ADMIN_ROLE, "-d", database));
        // psql lives next to postgres in Debian's layout
        var r = Procs.run(pb, script, 120);
        if (r.exit() != 0) throw new IOException("admin SQL failed on " + server.dataDir() + ": " + redact(r.output()));
        return r.output();
    }

    /** psql echoes the failing statement; keep verifiers out of exceptions and logs. */
    static String redact(String s) { return s.replaceAll("SCRAM-SHA-256\\$[^']*", "SCRAM-SHA-256\\$***"); }

    public static String ident(String name) { return "\"" + name.replace("\"", "\"\"") + "\""; }

    public static String literal(String s) { return "'" + s.replace("'", "''") + "'"; }
}
