package dev.arbor.backend.anon;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads {@link SourceSchema} from pg_catalog (user schemas only; extension-owned tables are skipped). */
public final class SchemaReader {
    private SchemaReader() {}

    private static final String USER_REL = """
            n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'
            and n.nspname not like 'pg\\_temp%'
            and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
            """;

    public static SourceSchema read(Connection c) throws SQLException {
        record Rel(long oid, String schema, String name, boolean partitioned, long estimate) {}
        Map<Long, Rel> rels = new LinkedHashMap<>();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint from pg_class c"
                    + " join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and " + USER_REL
                    + " order by n.nspname, c.relname")) {
                while (rs.next()) {
                    rels.put(rs.getLong(1), new Rel(rs.getLong(1), rs.getString(2), rs.getString(3), "p".equals(rs.getString(4)),
                            Math.max(0, rs.getLong(5))));
                }
            }
            Map<Long, List<ColumnInfo>> cols = new HashMap<>();
            Map<Long, Set<String>> generated = new HashMap<>();
            Map<Long, Map<Integer, String>> attnames = new HashMap<>();
            try (ResultSet rs = st.executeQuery("""
                    select a.attrelid, a.attnum, a.attname, bt.typname, bt.typcategory, bt.typtype, a.attnotnull or t.typnotnull,
                           a.attgenerated, format_type(a.atttypid, a.atttypmod),
                           case when bt.typname in ('varchar', 'bpchar') and coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1), -1) > 4
                                then coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4 else -1 end
                    from pg_attribute a join pg_type t on t.oid = a.atttypid
                    join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
                    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p')
                    order by a.attrelid, a.attnum""")) {
                while (rs.next()) {
                    long rel = rs.getLong(1);
                    if (!rels.containsKey(rel)) continue;
                    String name = rs.getString(3);
                    attnames.computeIfAbsent(rel, k -> new HashMap<>()).put(rs.getInt(2), name);
                    if (!rs.getString(8).isEmpty()) {
                        generated.computeIfAbsent(rel, k -> new LinkedHashSet<>()).add(name);
                        continue;
                    }
                    List<ColumnInfo> list = cols.computeIfAbsent(rel, k -> new ArrayList<>());
                    list.add(new ColumnInfo(name, list.size(), rs.getString(4),
                            ValueKind.ofPgType(rs.getString(4), rs.getString(5), rs.getString(6)), rs.getBoolean(7), rs.getInt(10),
                            rs.getString(9)));
                }
            }
            Map<Long, Set<String>> unique = new HashMap<>();
            try (ResultSet rs = st.executeQuery("select indrelid, unnest(indkey::int2[]) from pg_index where indisunique")) {
                while (rs.next()) {
                    long rel = rs.getLong(1);
                    String n = attnames.getOrDefault(rel, Map.of()).get(rs.getInt(2));
                    if (n != null) unique.computeIfAbsent(rel, k -> new LinkedHashSet<>()).add(n);
                }
            }
            Map<Long, List<String>> leaves = new HashMap<>();
            for (Rel r : rels.values()) {
                if (!r.partitioned()) continue;
                try (ResultSet rs = st.executeQuery("select n.nspname || '.' || c.relname from pg_partition_tree(" + r.oid()
                        + ") p join pg_class c on c.oid = p.relid join pg_namespace n on n.oid = c.relnamespace where p.isleaf")) {
                    List<String> l = new ArrayList<>();
                    while (rs.next()) l.add(rs.getString(1));
                    leaves.put(r.oid(), l);
                }
            }
            List<SourceSchema.Table> tables = new ArrayList<>();
            for (Rel r : rels.values()) {
                tables.add(new SourceSchema.Table(r.schema(), r.name(), List.copyOf(cols.getOrDefault(r.oid(), List.of())),
                        Set.copyOf(generated.getOrDefault(r.oid(), Set.of())), Set.copyOf(unique.getOrDefault(r.oid(), Set.of())),
                        r.estimate(), r.partitioned(), leaves.getOrDefault(r.oid(), List.of())));
            }
            List<SourceSchema.ForeignKey> fks = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("""
                    select conname, conrelid, confrelid, conkey::int2[], confkey::int2[], convalidated from pg_constraint
                    where contype = 'f' and conparentid = 0 order by conname""")) {
                while (rs.next()) {
                    Rel child = rels.get(rs.getLong(2)), parent = rels.get(rs.getLong(3));
                    if (child == null || parent == null) continue;
                    fks.add(new SourceSchema.ForeignKey(rs.getString(1), child.schema() + "." + child.name(),
                            names(attnames.get(child.oid()), (Short[]) rs.getArray(4).getArray()),
                            parent.schema() + "." + parent.name(), names(attnames.get(parent.oid()), (Short[]) rs.getArray(5).getArray()),
                            rs.getBoolean(6)));
                }
            }
            List<SourceSchema.Sequence> seqs = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                    + " where c.relkind = 'S' and " + USER_REL + " order by 1, 2")) {
                while (rs.next()) seqs.add(new SourceSchema.Sequence(rs.getString(1), rs.getString(2)));
            }
            return new SourceSchema(List.copyOf(tables), List.copyOf(fks), List.copyOf(seqs));
        }
    }

    private static List<String> names(Map<Integer, String> byNum, Short[] nums) {
        List<String> out = new ArrayList<>();
        for (Short n : nums) out.add(byNum == null ? "?" : byNum.get((int) n));
        return List.copyOf(out);
    }
}
