package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.AdminSql;
import dev.arbor.backend.compute.process.ClusterTemplate;
import dev.arbor.backend.compute.process.PgInstall;
import dev.arbor.backend.compute.process.PostgresServer;
import dev.arbor.backend.ops.EndpointSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schema-only branch's contents: {@code pg_dumpall --roles-only} (the roles the schema needs that the
 * branch does not already have) and {@code pg_dump --schema-only} per database, from a private read-only
 * endpoint on the parent into a private read-write endpoint on the new root timeline. Both run as the
 * superuser over their unix sockets; the dump never leaves this process's memory (schemas are small).
 */
final class SchemaCopy {
    private static final Pattern ROLE_LINE = Pattern.compile("^(?:CREATE|ALTER) ROLE (\"(?:[^\"]|\"\")+\"|[^ ;]+)");
    private static final long TIMEOUT_SECONDS = 600;
    private final ComputeManager compute;
    private final PgInstall pg;

    SchemaCopy(ComputeManager compute, PgInstall pg) {
        this.compute = compute;
        this.pg = pg;
    }

    void copy(EndpointSpec source, EndpointSpec target) throws IOException {
        try {
            compute.ensureRunning(source);
            compute.ensureRunning(target);
            PostgresServer dst = server(target);
            // a re-run after a crash starts over from empty databases
            StringBuilder drop = new StringBuilder();
            for (var db : target.databases()) {
                drop.append("DROP DATABASE IF EXISTS ").append(AdminSql.ident(db.name())).append(" WITH (FORCE);\n");
            }
            AdminSql.run(pg, dst, "postgres", drop.toString());
            compute.applyConfig(target);  // the branch's own roles and empty databases
            PostgresServer src = server(source);

            Set<String> existing = new HashSet<>(AdminSql.run(pg, dst, "postgres", "SELECT rolname FROM pg_roles").lines().toList());
            String roles = dump(src, "pg_dumpall", List.of("--roles-only", "--no-role-passwords", "-l", "postgres"));
            run(dst, "postgres", neededRoles(roles, existing));
            for (var db : target.databases()) {
                String schema = dump(src, "pg_dump", List.of("--schema-only", "--no-subscriptions", "-d", db.name()));
                run(dst, db.name(), schema);
            }
        } finally {
            compute.delete(source);
            compute.delete(target);
        }
    }

    /** The role statements for roles {@code existing} lacks, plus memberships; never comments (compute's markers). */
    static String neededRoles(String dumpall, Set<String> existing) {
        StringBuilder out = new StringBuilder();
        for (String line : dumpall.lines().toList()) {
            if (line.startsWith("COMMENT ON ROLE")) continue;
            Matcher m = ROLE_LINE.matcher(line);
            if (m.find()) {
                String name = m.group(1);
                if (name.startsWith("\"")) name = name.substring(1, name.length() - 1).replace("\"\"", "\"");
                if (existing.contains(name)) continue;
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private PostgresServer server(EndpointSpec spec) throws IOException {
        return compute.runningServer(spec.endpointId())
                .orElseThrow(() -> new IOException("endpoint " + spec.endpointId() + " stopped during the schema copy"));
    }

    private List<String> conn(PostgresServer s) {
        return List.of("-h", s.socketDir().toString(), "-p", Integer.toString(s.port()), "-U", ClusterTemplate.ADMIN_ROLE);
    }

    /** stdout of a dump tool; its stderr only goes into the error. */
    private String dump(PostgresServer s, String tool, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(conn(s));
        all.addAll(args);
        Process p = pg.builder(tool, all).start();
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = Thread.ofVirtual().start(() -> copyQuietly(p.getErrorStream(), err));
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " timed out");
            }
            drain.join();
            if (p.exitValue() != 0) throw new IOException(tool + " failed: " + err.toString(StandardCharsets.UTF_8).strip());
            return new String(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void run(PostgresServer s, String database, String script) throws IOException {
        List<String> all = new ArrayList<>(List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "--single-transaction"));
        all.addAll(conn(s));
        all.addAll(List.of("-d", database));
        var r = dev.arbor.backend.compute.process.Procs.run(pg.builder("psql", all), script, TIMEOUT_SECONDS);
        if (r.exit() != 0) throw new IOException("restoring the schema into " + database + " failed: " + r.output().strip());
    }

    private static void copyQuietly(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process died; its exit code tells
        }
    }
}
