package dev.arbor.backend.anon;

import java.math.BigDecimal;
import java.util.List;

/** The typed AST of a masking expression (a subset of SQL: calls, column references, literals, casts, ARRAY[]). */
public sealed interface Expr {
    /** {@code schema.name(args)}; schema is null when unqualified. */
    record Call(String schema, String name, List<Arg> args) implements Expr {
        public String qualifiedName() { return schema == null ? name : schema + "." + name; }
    }
    /** An argument, positional ({@code name == null}) or named ({@code words := 20} / {@code words => 20}). */
    record Arg(String name, Expr value) {}
    /** {@code col}, {@code tbl.col} or {@code schema.tbl.col}: the last part is the column. */
    record ColumnRef(List<String> parts) implements Expr {
        public String column() { return parts.getLast(); }
    }
    record StringLit(String value) implements Expr {}
    record NumberLit(BigDecimal value, String text) implements Expr {
        public boolean isInteger() { return value.scale() <= 0 || value.stripTrailingZeros().scale() <= 0 && !text.contains("."); }
    }
    record BoolLit(boolean value) implements Expr {}
    record NullLit() implements Expr {}
    /** {@code expr::type} or {@code CAST(expr AS type)}; the type name is kept lower-cased. */
    record Cast(Expr value, String type) implements Expr {}
    record ArrayLit(List<Expr> elements) implements Expr {}
    /** Unary minus on a number literal is folded; on anything else it is kept. */
    record Negate(Expr value) implements Expr {}
}
