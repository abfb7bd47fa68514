package dev.arbor.backend.anon;

/**
 * The compiled rule for one column: evaluates the expression, renders it for the column's type, keeps
 * UNIQUE columns unique and fits varchar(n). A mask applied to a referencing (FK) column is the very same
 * object as the referenced key's, so both sides map every value identically.
 */
public final class ColumnMask {
    /** Fixed width of the uniqueness disambiguator: '-' + 13 base-36 digits of a keyed 64-bit hash. */
    static final int SUFFIX_LEN = 14;

    private final ColumnInfo target;
    private final Eval eval;
    private final boolean constant;
    private final boolean disambiguate;
    private final boolean keepNulls;
    private final MaskingKey key;
    private final String description;

    ColumnMask(ColumnInfo target, Eval eval, boolean constant, boolean disambiguate, MaskingKey key, String description) {
        this.target = target;
        this.eval = eval;
        this.constant = constant;
        this.disambiguate = disambiguate;
        this.keepNulls = !constant;
        this.key = key;
        this.description = description;
    }

    /** e.g. {@code anon.dummy_free_email()} or {@code VALUE 'CONFIDENTIAL'}. */
    public String description() { return description; }

    boolean disambiguates() { return disambiguate; }

    /** The masked value for this row, in PostgreSQL text form, or null for SQL NULL. */
    String apply(Eval.RowView row, String tableForErrors, String columnForErrors) {
        String subject = row.subject();
        if (subject == null && keepNulls) return null; // NULL stays NULL under function rules
        Object v = eval.eval(row);
        if (v == null) {
            if (target.notNull()) {
                throw new MaskingRuntimeException(description + " returned NULL for NOT NULL column " + tableForErrors + "." + columnForErrors);
            }
            return null;
        }
        String out = target.kind().isDateTime() && !(v instanceof String) ? Values.dateTimeFor(v, target.kind())
                : target.kind() == ValueKind.INT && v instanceof java.math.BigDecimal b ? b.setScale(0, java.math.RoundingMode.HALF_EVEN).toPlainString()
                : Values.text(v);
        if (disambiguate) return withSuffix(out, subject);
        if (target.maxLength() > 0 && out.codePointCount(0, out.length()) > target.maxLength()) {
            out = out.substring(0, out.offsetByCodePoints(0, target.maxLength()));
        }
        return out;
    }

    /** Appends (or inserts before an e-mail's '@') a keyed hash of the ORIGINAL value: distinct inputs stay distinct. */
    private String withSuffix(String out, String subject) {
        String suffix = suffix(key.seed("unique", subject));
        int at = out.lastIndexOf('@');
        String head = at > 0 ? out.substring(0, at) : out;
        String tail = at > 0 ? out.substring(at) : "";
        int max = target.maxLength();
        if (max > 0) {
            int room = max - SUFFIX_LEN - tail.length();
            if (room < 0) { tail = ""; room = max - SUFFIX_LEN; }
            if (head.codePointCount(0, head.length()) > room) head = head.substring(0, head.offsetByCodePoints(0, Math.max(0, room)));
        }
        return head + suffix + tail;
    }

    ColumnInfo target() { return target; }

    private static final char[] B36 = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    /** '-' + 13 base-36 digits of the low 63 bits (fixed width, no BigInteger like Long.toUnsignedString needs). */
    static String suffix(long h) {
        char[] c = new char[SUFFIX_LEN];
        c[0] = '-';
        long v = h & Long.MAX_VALUE;
        for (int i = SUFFIX_LEN - 1; i >= 1; i--) {
            c[i] = B36[(int) (v % 36)];
            v /= 36;
        }
        return new String(c);
    }
}
