package dev.arbor.backend.meta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Versioned schema migrations: plain SQL files {@code db/migration/V<n>__<name>.sql}, listed in
 * {@code db/migration/index.txt}, each applied in its own transaction together with its row in
 * {@code schema_version}. An advisory lock keeps two servers from migrating the same database at once.
 */
public final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    private static final Pattern NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
    private static final long LOCK_KEY = 0x4172626f72L; // "Arbor"

    private Migrations() {}

    public static int migrate(Db db) {
        List<String> files = index();
        return db.tx(c -> {
            try (var st = c.createStatement()) {
                st.execute("select pg_advisory_xact_lock(" + LOCK_KEY + ")");
                st.execute("create table if not exists schema_version (version int primary key, name text not null,"
                        + " applied_at timestamptz not null default now())");
                int current;
                try (var rs = st.executeQuery("select coalesce(max(version), 0) from schema_version")) {
                    rs.next();
                    current = rs.getInt(1);
                }
                int applied = current;
                for (String f : files) {
                    Matcher m = NAME.matcher(f);
                    if (!m.matches()) throw new IllegalStateException("bad migration file name " + f);
                    int v = Integer.parseInt(m.group(1));
                    if (v <= current) continue;
                    if (v != applied + 1) throw new IllegalStateException("migration gap before " + f);
                    st.execute(read(f));
                    try (var ps = c.prepareStatement("insert into schema_version (version, name) values (?, ?)")) {
                        ps.setInt(1, v);
                        ps.setString(2, m.group(2));
                        ps.executeUpdate();
                    }
                    log.info("applied metadata migration {}", f);
                    applied = v;
                }
                return applied;
            }
        });
    }

    private static List<String> index() {
        return read("index.txt").lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    private static String read(String name) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) throw new IllegalStateException("missing migration resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
