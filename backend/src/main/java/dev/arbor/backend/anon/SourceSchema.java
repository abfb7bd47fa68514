package dev.arbor.backend.anon;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What the anonymizer needs to know about a database: copyable tables, keys, foreign keys, sequences. */
public record SourceSchema(List<Table> tables, List<ForeignKey> foreignKeys, List<Sequence> sequences) {

    /**
     * A table. {@code columns} are the copyable ones (no dropped or generated columns) in attnum order;
     * {@code uniqueColumns} are columns that take part in a primary key or unique index; partitioned parents
     * ({@code leaves} non-empty) hold no rows themselves and are copied through their leaf partitions.
     */
    public record Table(String schema, String name, List<ColumnInfo> columns, Set<String> generatedColumns,
                        Set<String> uniqueColumns, long estimatedRows, boolean partitioned, List<String> leaves) {
        public String qualified() { return schema + "." + name; }
        public String sqlName() { return SourceSchema.quote(schema) + "." + SourceSchema.quote(name); }
        public Optional<ColumnInfo> column(String col) {
            return columns.stream().filter(c -> c.name().equals(col)).findFirst();
        }
    }

    /** FOREIGN KEY child(childColumns) REFERENCES parent(parentColumns). */
    public record ForeignKey(String name, String childTable, List<String> childColumns, String parentTable,
                             List<String> parentColumns, boolean validated) {}

    public record Sequence(String schema, String name) {
        public String sqlName() { return SourceSchema.quote(schema) + "." + SourceSchema.quote(name); }
    }

    public Optional<Table> table(String qualified) {
        return tables.stream().filter(t -> t.qualified().equals(qualified)).findFirst();
    }

    static String quote(String ident) { return "\"" + ident.replace("\"", "\"\"") + "\""; }
}
