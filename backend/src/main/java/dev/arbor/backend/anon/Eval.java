package dev.arbor.backend.anon;

/** A compiled masking expression: evaluated once per row, values are Java objects (String, Long, BigDecimal, dates). */
@FunctionalInterface
interface Eval {
    Object eval(RowView row);

    /** Per-row inputs. */
    interface RowView {
        /** The original value of the column being masked (COPY text decoded), null for SQL NULL. */
        String subject();
        /** The original value of another column of the same row, by its position in the copied column list. */
        String column(int index);
    }

    /** A value known when the rule is compiled (literals, folded casts). */
    record Const(Object value) implements Eval {
        @Override public Object eval(RowView row) { return value; }
    }
}
