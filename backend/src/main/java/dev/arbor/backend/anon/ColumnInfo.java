package dev.arbor.backend.anon;

/**
 * A column as the copy pipeline sees it: its position in the COPY column list, its type (pg_type name and
 * {@link ValueKind}), NOT NULL, and the declared length for varchar(n)/char(n) (-1 when unbounded).
 */
public record ColumnInfo(String name, int index, String typeName, ValueKind kind, boolean notNull, int maxLength,
                         String sqlType) {}
