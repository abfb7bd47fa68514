package dev.arbor.backend.anon;

import java.util.Objects;

/**
 * One Neon-style masking rule: a column and either a PostgreSQL Anonymizer function call
 * ({@code anon.dummy_free_email()}) or a constant SQL literal ({@code 'CONFIDENTIAL'}, {@code 0}, {@code NULL}).
 * Exactly one of {@code maskingFunction} / {@code maskingValue} is set.
 */
public record MaskingRule(String databaseName, String schemaName, String tableName, String columnName,
                          String maskingFunction, String maskingValue) {

    public MaskingRule {
        Objects.requireNonNull(databaseName, "database_name");
        Objects.requireNonNull(schemaName, "schema_name");
        Objects.requireNonNull(tableName, "table_name");
        Objects.requireNonNull(columnName, "column_name");
    }

    public static MaskingRule function(String database, String schema, String table, String column, String function) {
        return new MaskingRule(database, schema, table, column, function, null);
    }

    public static MaskingRule value(String database, String schema, String table, String column, String value) {
        return new MaskingRule(database, schema, table, column, null, value);
    }

    /** {@code db.schema.table.column}, used in every error message. */
    public String qualifiedColumn() {
        return databaseName + "." + schemaName + "." + tableName + "." + columnName;
    }
}
