package dev.arbor.backend.anon;

import java.util.Map;

/**
 * Rewrites COPY text rows of one table: unmasked fields are copied byte for byte, masked fields are decoded,
 * masked and re-escaped. Other columns a mask reads (e.g. {@code anon.pseudo_first_name(id)}) are decoded
 * lazily, once per row. Not thread-safe: one per table copy.
 */
final class RowMasker implements Eval.RowView {
    private final String table;
    private final String[] names;
    private final ColumnMask[] masks; // by column index, null = pass through
    private final int columns;
    private final int[] start;
    private final int[] end;
    private final String[] decoded;
    private final boolean[] isDecoded;
    private byte[] row;
    private String subject;

    RowMasker(MaskingPlan.TablePlan plan) {
        this.table = plan.table().qualified();
        this.columns = plan.table().columns().size();
        this.names = plan.table().columns().stream().map(ColumnInfo::name).toArray(String[]::new);
        this.masks = new ColumnMask[columns];
        for (Map.Entry<Integer, ColumnMask> e : plan.masks().entrySet()) masks[e.getKey()] = e.getValue();
        this.start = new int[columns];
        this.end = new int[columns];
        this.decoded = new String[columns];
        this.isDecoded = new boolean[columns];
    }

    /** Appends the masked version of {@code line[0..len)} (one row, with or without its trailing LF) to {@code out}. */
    void mask(byte[] line, int len, CopyText.Sink out) {
        if (len > 0 && line[len - 1] == '\n') len--;
        row = line;
        int f = 0, s = 0;
        for (int i = 0; i < len; i++) {
            if (line[i] == '\t') {
                if (f >= columns) break;
                start[f] = s; end[f] = i; f++;
                s = i + 1;
            }
        }
        if (f < columns) { start[f] = s; end[f] = len; f++; }
        if (f != columns) {
            throw new IllegalStateException("COPY row of " + table + " has " + f + " fields, expected " + columns);
        }
        java.util.Arrays.fill(isDecoded, false);
        for (int c = 0; c < columns; c++) {
            if (c > 0) out.put((byte) '\t');
            ColumnMask m = masks[c];
            if (m == null) {
                out.put(line, start[c], end[c]);
            } else {
                subject = column(c);
                out.putField(m.apply(this, table, names[c]));
            }
        }
        out.put((byte) '\n');
    }

    @Override public String subject() { return subject; }

    @Override public String column(int index) {
        if (!isDecoded[index]) {
            decoded[index] = CopyText.decode(row, start[index], end[index]);
            isDecoded[index] = true;
        }
        return decoded[index];
    }
}
