package dev.arbor.backend.anon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Loading into tables whose indexes are maintained row by row is several times slower than building the
 * indexes once afterwards (what pg_restore does). This drops, on the target, the indexes, PK/UNIQUE/EXCLUDE
 * constraints and foreign keys of plain (non-partition) copied tables before the load and recreates them after.
 * The definitions are read from the SOURCE, whose schema the target was made from: a rerun after a crash in the
 * middle (objects already dropped on the target) still ends with every index and constraint in place.
 * Recreating the foreign keys makes PostgreSQL validate them.
 */
final class DeferredIndexes {
    private static final Logger log = LoggerFactory.getLogger(DeferredIndexes.class);

    /** One object to drop and recreate: {@code table} is schema-qualified SQL, {@code name} unqualified. */
    record Item(Kind kind, String table, String schema, String name, String definition, String childQualified) {}

    enum Kind { INDEX, KEY, FOREIGN_KEY }

    private final List<Item> items;

    private DeferredIndexes(List<Item> items) { this.items = items; }

    int size() { return items.size(); }

    /** {@code schema.table.constraint} of the deferred foreign keys (validated by PostgreSQL when re-added). */
    java.util.Set<String> foreignKeyNames() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Item i : items) if (i.kind() == Kind.FOREIGN_KEY) out.add(i.childQualified() + "." + i.name());
        return out;
    }

    /** Reads definitions from the source for the given plain tables (qualified schema.table names). */
    static DeferredIndexes read(Connection source, Set<String> tables) throws SQLException {
        List<Item> items = new ArrayList<>();
        if (tables.isEmpty()) return new DeferredIndexes(items);
        try (Statement st = source.createStatement()) {
            try (ResultSet rs = st.executeQuery("""
                    select n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype,
                           pn.nspname, p.relname
                    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
                    left join pg_class p on p.oid = con.confrelid left join pg_namespace pn on pn.oid = p.relnamespace
                    where con.contype in ('p', 'u', 'x', 'f') and con.conparentid = 0
                    order by con.contype = 'f', n.nspname, c.relname, con.conname""")) {
                while (rs.next()) {
                    String t = rs.getString(1) + "." + rs.getString(2);
                    boolean fk = "f".equals(rs.getString(5));
                    String parent = fk ? rs.getString(6) + "." + rs.getString(7) : null;
                    // a foreign key is deferred if either end is; a key only if its own table is
                    if (!(tables.contains(t) || fk && tables.contains(parent))) continue;
                    items.add(new Item(fk ? Kind.FOREIGN_KEY : Kind.KEY, sql(rs.getString(1), rs.getString(2)), rs.getString(1),
                            rs.getString(3), rs.getString(4), t));
                }
            }
            try (ResultSet rs = st.executeQuery("""
                    select n.nspname, c.relname, i.relname, pg_get_indexdef(x.indexrelid)
                    from pg_index x join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace
                    join pg_class i on i.oid = x.indexrelid
                    where not exists (select 1 from pg_constraint con where con.conindid = x.indexrelid and con.contype in ('p', 'u', 'x'))
                    order by 1, 2, 3""")) {
                while (rs.next()) {
                    if (!tables.contains(rs.getString(1) + "." + rs.getString(2))) continue;
                    items.add(new Item(Kind.INDEX, sql(rs.getString(1), rs.getString(2)), rs.getString(1), rs.getString(3), rs.getString(4),
                            rs.getString(1) + "." + rs.getString(2)));
                }
            }
        }
        return new DeferredIndexes(items);
    }

    /** Drops foreign keys first, then keys and indexes; all in one transaction, so it happens fully or not at all. */
    void drop(Connection target) throws SQLException {
        boolean auto = target.getAutoCommit();
        target.setAutoCommit(false);
        try (Statement st = target.createStatement()) {
            for (Kind k : List.of(Kind.FOREIGN_KEY, Kind.KEY, Kind.INDEX)) {
                for (Item i : items) {
                    if (i.kind() != k) continue;
                    st.execute(k == Kind.INDEX ? "drop index if exists " + sql(i.schema(), i.name())
                            : "alter table " + i.table() + " drop constraint if exists " + SourceSchema.quote(i.name()));
                }
            }
            target.commit();
        } catch (SQLException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(auto);
        }
    }

    /** Recreates whatever is missing: indexes and keys first, then foreign keys (which PostgreSQL validates). */
    void recreate(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("set maintenance_work_mem = '256MB'");
            for (Kind k : List.of(Kind.KEY, Kind.INDEX, Kind.FOREIGN_KEY)) {
                for (Item i : items) {
                    if (i.kind() != k || exists(target, i)) continue;
                    long t0 = System.nanoTime();
                    st.execute(k == Kind.INDEX ? i.definition()
                            : "alter table " + i.table() + " add constraint " + SourceSchema.quote(i.name()) + " " + i.definition());
                    log.debug("recreated {} {} in {} ms", k, i.name(), (System.nanoTime() - t0) / 1_000_000);
                }
            }
        }
    }

    private static boolean exists(Connection target, Item i) throws SQLException {
        String sql = i.kind() == Kind.INDEX
                ? "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?"
                : "select 1 from pg_constraint con join pg_namespace n on n.oid = con.connamespace where n.nspname = ? and con.conname = ?"
                  + " and con.conrelid = ?::regclass";
        try (var ps = target.prepareStatement(sql)) {
            ps.setString(1, i.schema());
            ps.setString(2, i.name());
            if (i.kind() != Kind.INDEX) ps.setString(3, i.table());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String sql(String schema, String name) {
        return SourceSchema.quote(schema) + "." + SourceSchema.quote(name);
    }
}
