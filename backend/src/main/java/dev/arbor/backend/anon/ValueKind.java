package dev.arbor.backend.anon;

import java.util.Locale;

/** The static type of a masking expression or column, coarse enough for rule validation. */
public enum ValueKind {
    TEXT, INT, NUMERIC, FLOAT, DATE, TIMESTAMP, TIMESTAMPTZ, INTERVAL, UUID, BOOL, RANGE, INET,
    /** A string literal: like PostgreSQL's {@code unknown}, it takes the type its use needs. */
    UNKNOWN,
    NULL,
    /** jsonb, bytea, arrays, enums...: only constant masking values apply. */
    OTHER;

    boolean isNumber() { return this == INT || this == NUMERIC || this == FLOAT; }
    boolean isDateTime() { return this == DATE || this == TIMESTAMP || this == TIMESTAMPTZ; }

    /** The kind of a column from its pg_type name, type category and type type ('r' = range). */
    static ValueKind ofPgType(String typname, String category, String typtype) {
        if ("r".equals(typtype) || "m".equals(typtype)) return RANGE;
        return switch (typname.toLowerCase(Locale.ROOT)) {
            case "int2", "int4", "int8", "oid" -> INT;
            case "numeric", "money" -> NUMERIC;
            case "float4", "float8" -> FLOAT;
            case "date" -> DATE;
            case "timestamp" -> TIMESTAMP;
            case "timestamptz" -> TIMESTAMPTZ;
            case "interval" -> INTERVAL;
            case "uuid" -> UUID;
            case "bool" -> BOOL;
            case "inet", "cidr" -> INET;
            default -> "S".equals(category) ? TEXT : OTHER; // text, varchar, bpchar, name, citext
        };
    }

    /** Can a value of kind {@code value} be stored in a column of this kind (like an assignment cast)? */
    boolean accepts(ValueKind value) {
        if (value == NULL || value == UNKNOWN) return true;
        return switch (this) {
            case TEXT -> true;
            case INT -> value == INT;
            case NUMERIC, FLOAT -> value.isNumber();
            case DATE, TIMESTAMP, TIMESTAMPTZ -> value.isDateTime();
            case INET -> value == INET;
            default -> value == this;
        };
    }

    String sqlName() { return name().toLowerCase(Locale.ROOT); }
}
