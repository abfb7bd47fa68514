package dev.arbor.backend.anon;

import dev.arbor.backend.anon.MaskingException.Kind;
import dev.arbor.backend.anon.MaskingException.Problem;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Masking rules validated against a live database's schema and compiled per table. Building a plan is
 * the whole validation: unknown schema/table/column, generated columns, duplicate rules, type mismatches,
 * NULL into NOT NULL, constants on UNIQUE columns, masking FK columns directly. Every problem is reported.
 *
 * <p>Keys: a masked column that is part of a primary key or unique index gets a keyed disambiguator (unless
 * the function is injective, like anon.hash), and a masked column referenced by foreign keys has its mask
 * applied to every referencing column as well, so joins keep matching. Such a mask may only read the
 * column itself (a referencing table does not have the other columns).
 */
public final class MaskingPlan {
    /** One copied (leaf) table and its column masks by column index (empty = copied as-is). */
    public record TablePlan(SourceSchema.Table table, Map<Integer, ColumnMask> masks) {
        public boolean masked() { return !masks.isEmpty(); }
    }

    private final String database;
    private final SourceSchema schema;
    private final List<TablePlan> tables;
    private final List<String> maskedColumns;

    private MaskingPlan(String database, SourceSchema schema, List<TablePlan> tables, List<String> maskedColumns) {
        this.database = database;
        this.schema = schema;
        this.tables = tables;
        this.maskedColumns = maskedColumns;
    }

    public String database() { return database; }
    public SourceSchema schema() { return schema; }
    /** Every leaf table to copy, masked or not. */
    public List<TablePlan> tables() { return tables; }
    /** {@code schema.table.column} of every masked column, including FK columns that follow a masked key. */
    public List<String> maskedColumns() { return maskedColumns; }

    /**
     * Validates and compiles {@code rules} whose database_name is {@code database} (others are ignored).
     * {@code source} (nullable) is used to check constant masking values against the column types.
     */
    public static MaskingPlan build(List<MaskingRule> rules, String database, SourceSchema schema, MaskingKey key,
                                    Connection source) throws MaskingException {
        List<Problem> problems = new ArrayList<>();
        Map<String, Map<String, ColumnMask>> byTable = new LinkedHashMap<>(); // table -> column -> mask
        Map<String, MaskingRule> seen = new HashMap<>();
        Map<String, Map<String, ColumnMask>> leafRuleMasks = new HashMap<>(); // leaf -> column -> mask of a rule on its parent
        Map<String, SourceSchema.ForeignKey> fkByChildColumn = new HashMap<>();
        Map<String, List<SourceSchema.ForeignKey>> fksByParentColumn = new HashMap<>();
        for (SourceSchema.ForeignKey fk : schema.foreignKeys()) {
            for (int i = 0; i < fk.childColumns().size(); i++) {
                fkByChildColumn.put(fk.childTable() + "." + fk.childColumns().get(i), fk);
                fksByParentColumn.computeIfAbsent(fk.parentTable() + "." + fk.parentColumns().get(i), k -> new ArrayList<>()).add(fk);
            }
        }
        for (MaskingRule r : rules) {
            if (!r.databaseName().equals(database)) continue;
            String where = "masking rule for " + r.qualifiedColumn();
            try {
                String tq = r.schemaName() + "." + r.tableName();
                if (schema.tables().stream().noneMatch(x -> x.schema().equals(r.schemaName()))) {
                    throw new MaskingException(Kind.UNKNOWN_OBJECT, where + ": schema " + r.schemaName()
                            + " does not exist in database " + database + " (or has no tables)");
                }
                SourceSchema.Table t = schema.table(tq).orElseThrow(() -> new MaskingException(Kind.UNKNOWN_OBJECT,
                        where + ": table " + tq + " does not exist in database " + database));
                if (t.generatedColumns().contains(r.columnName())) {
                    throw new MaskingException(Kind.INVALID_RULE, where + ": " + r.columnName()
                            + " is a generated column; PostgreSQL recomputes it, mask the columns it is computed from");
                }
                ColumnInfo col = t.column(r.columnName()).orElseThrow(() -> new MaskingException(Kind.UNKNOWN_OBJECT,
                        where + ": column \"" + r.columnName() + "\" does not exist in table " + tq));
                if (seen.put(tq + "." + col.name(), r) != null) {
                    throw new MaskingException(Kind.INVALID_RULE, where + ": more than one rule for this column");
                }
                SourceSchema.ForeignKey fk = fkByChildColumn.get(tq + "." + col.name());
                if (fk != null) {
                    String parentCol = fk.parentColumns().get(fk.childColumns().indexOf(col.name()));
                    throw new MaskingException(Kind.FOREIGN_KEY, where + ": " + col.name() + " is a foreign key column (constraint "
                            + fk.name() + " references " + fk.parentTable() + "." + parentCol + "); foreign key columns cannot be"
                            + " masked directly. Mask " + fk.parentTable() + "." + parentCol + " instead: its mask is applied to "
                            + tq + "." + col.name() + " too, so the join keeps matching");
                }
                boolean unique = t.uniqueColumns().contains(col.name());
                boolean referenced = fksByParentColumn.containsKey(tq + "." + col.name());
                ColumnMask mask = compile(r, t, col, unique, referenced, key, source, where);
                byTable.computeIfAbsent(tq, k -> new TreeMap<>()).put(col.name(), mask);
                if (t.partitioned()) { // partitions may order their columns differently: compile per leaf
                    for (String leafName : t.leaves()) {
                        SourceSchema.Table leaf = schema.table(leafName).orElseThrow();
                        ColumnInfo leafCol = leaf.column(col.name()).orElseThrow();
                        leafRuleMasks.computeIfAbsent(leafName, k -> new TreeMap<>()).put(col.name(),
                                compile(r, leaf, leafCol, unique || leaf.uniqueColumns().contains(col.name()), referenced, key, null, where));
                    }
                }
            } catch (MaskingException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) throw new MaskingException(problems);

        // propagate masks of referenced keys to the referencing columns, transitively (child keys may be referenced too)
        boolean changed = true;
        while (changed) {
            changed = false;
            for (SourceSchema.ForeignKey fk : schema.foreignKeys()) {
                Map<String, ColumnMask> parentMasks = byTable.getOrDefault(fk.parentTable(), Map.of());
                for (int i = 0; i < fk.parentColumns().size(); i++) {
                    ColumnMask m = parentMasks.get(fk.parentColumns().get(i));
                    if (m == null) continue;
                    Map<String, ColumnMask> child = byTable.computeIfAbsent(fk.childTable(), k -> new TreeMap<>());
                    ColumnMask existing = child.get(fk.childColumns().get(i));
                    if (existing == null) {
                        child.put(fk.childColumns().get(i), m);
                        changed = true;
                    }
                }
            }
        }

        // leaf tables, with partitioned parents' masks pushed down to their partitions
        Map<String, Map<String, ColumnMask>> leafMasks = new HashMap<>();
        for (var e : byTable.entrySet()) {
            SourceSchema.Table t = schema.table(e.getKey()).orElseThrow();
            for (String leaf : t.partitioned() ? t.leaves() : List.of(t.qualified())) {
                leafMasks.computeIfAbsent(leaf, k -> new TreeMap<>()).putAll(e.getValue());
                leafMasks.get(leaf).putAll(leafRuleMasks.getOrDefault(leaf, Map.of()));
            }
        }
        List<TablePlan> plans = new ArrayList<>();
        List<String> masked = new ArrayList<>();
        for (SourceSchema.Table t : schema.tables()) {
            if (t.partitioned()) continue;
            Map<Integer, ColumnMask> masks = new TreeMap<>();
            for (var e : leafMasks.getOrDefault(t.qualified(), Map.of()).entrySet()) {
                ColumnInfo c = t.column(e.getKey()).orElseThrow();
                masks.put(c.index(), e.getValue());
                masked.add(t.qualified() + "." + c.name());
            }
            plans.add(new TablePlan(t, Map.copyOf(masks)));
        }
        return new MaskingPlan(database, schema, List.copyOf(plans), List.copyOf(masked));
    }

    private static ColumnMask compile(MaskingRule r, SourceSchema.Table t, ColumnInfo col, boolean unique, boolean referenced,
                                      MaskingKey key, Connection source, String where) throws MaskingException {
        boolean hasFn = r.maskingFunction() != null && !r.maskingFunction().isBlank();
        boolean hasValue = r.maskingValue() != null;
        if (hasFn == hasValue) {
            throw new MaskingException(Kind.INVALID_RULE, where + ": set exactly one of masking_function and masking_value");
        }
        if (hasValue) {
            Expr e = ExprParser.parse(r.maskingValue());
            Object v = literal(e, where);
            if (v == null && col.notNull()) {
                throw new MaskingException(Kind.NOT_NULL, where + ": cannot mask NOT NULL column " + col.name() + " with NULL");
            }
            if (v != null && unique) {
                throw new MaskingException(Kind.UNIQUE, where + ": " + col.name() + " is part of a primary key or unique index;"
                        + " a constant value would repeat in every row. Use a function such as anon.hash(" + col.name() + ")");
            }
            if (v != null && source != null) checkCast(source, Values.text(v), col, where);
            return new ColumnMask(col, new Eval.Const(v), true, false, key, "VALUE " + r.maskingValue().strip());
        }
        ExprCompiler compiler = new ExprCompiler(new ExprCompiler.Scope(t.qualified(), t.columns(), col, key), where);
        Functions.Typed typed = compiler.compile(ExprParser.parse(r.maskingFunction()));
        if (typed.kind() == ValueKind.NULL || typed.isConst() && typed.constValue() == null) {
            if (col.notNull()) throw new MaskingException(Kind.NOT_NULL, where + ": cannot mask NOT NULL column " + col.name() + " with NULL");
        }
        if (col.kind() == ValueKind.OTHER) {
            throw new MaskingException(Kind.TYPE_MISMATCH, where + ": masking functions do not support columns of type " + col.sqlType()
                    + "; use a masking_value (a constant of that type) or NULL");
        }
        if (!col.kind().accepts(typed.kind())) {
            throw new MaskingException(Kind.TYPE_MISMATCH, where + ": " + r.maskingFunction().strip() + " returns "
                    + typed.kind().sqlName() + " but column " + col.name() + " is " + col.sqlType()
                    + (col.kind().isNumber() ? "; use anon.random_int_between, anon.noise or anon.generalize_* for numbers"
                    : col.kind().isDateTime() ? "; use anon.random_date_between or anon.dnoise for dates" : ""));
        }
        if (typed.isConst() && typed.constValue() != null && unique) {
            throw new MaskingException(Kind.UNIQUE, where + ": " + col.name() + " is part of a primary key or unique index;"
                    + " a constant would repeat in every row");
        }
        boolean disambiguate = unique && !typed.injective();
        if (disambiguate && col.kind() != ValueKind.TEXT) {
            throw new MaskingException(Kind.UNIQUE, where + ": " + col.name() + " (" + col.sqlType() + ") is part of a primary key or"
                    + " unique index and " + r.maskingFunction().strip() + " can map different values to the same one;"
                    + " only text keys can be kept unique (use anon.hash on text keys, or do not mask key columns)");
        }
        if (disambiguate && col.maxLength() > 0 && col.maxLength() < ColumnMask.SUFFIX_LEN + 4) {
            throw new MaskingException(Kind.UNIQUE, where + ": " + col.sqlType() + " is too short to keep masked values unique"
                    + " (needs at least " + (ColumnMask.SUFFIX_LEN + 4) + " characters)");
        }
        if (referenced && typed.readsOtherColumns()) {
            throw new MaskingException(Kind.FOREIGN_KEY, where + ": " + col.name() + " is referenced by foreign keys, so its mask is"
                    + " also applied to the referencing columns; it may only read " + col.name() + " itself, not other columns");
        }
        if (typed.isConst() && typed.constValue() != null && source != null) checkCast(source, Values.text(typed.constValue()), col, where);
        return new ColumnMask(col, typed.eval(), false, disambiguate, key, r.maskingFunction().strip());
    }

    private static Object literal(Expr e, String where) throws MaskingException {
        return switch (e) {
            case Expr.NullLit n -> null;
            case Expr.StringLit s -> s.value();
            case Expr.NumberLit n -> n.text();
            case Expr.BoolLit b -> b.value() ? "t" : "f";
            case Expr.Cast c -> literal(c.value(), where);
            default -> throw new MaskingException(Kind.INVALID_RULE, where
                    + ": masking_value must be a constant (a quoted string, a number, true/false or NULL); use masking_function for expressions");
        };
    }

    /** Asks PostgreSQL itself whether the constant is a valid value of the column's type. */
    private static void checkCast(Connection source, String value, ColumnInfo col, String where) throws MaskingException {
        java.sql.Savepoint sp = null;
        try {
            // inside the job's snapshot transaction a failed cast must not abort the transaction
            if (!source.getAutoCommit()) sp = source.setSavepoint();
            try (PreparedStatement ps = source.prepareStatement("select cast(cast(? as text) as " + col.sqlType() + ")")) {
                ps.setString(1, value);
                ps.executeQuery().close();
            }
            if (sp != null) source.releaseSavepoint(sp);
        } catch (SQLException e) {
            try {
                if (sp != null) source.rollback(sp);
            } catch (SQLException ignored) { }
            throw new MaskingException(Kind.TYPE_MISMATCH, where + ": '" + value + "' is not a valid " + col.sqlType() + ": "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    @Override public String toString() {
        return "MaskingPlan[" + database + ", " + tables.size() + " tables, masked " + maskedColumns + "]";
    }

}
