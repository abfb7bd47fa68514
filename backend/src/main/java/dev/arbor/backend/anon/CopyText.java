package dev.arbor.backend.anon;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * PostgreSQL COPY text format, byte level: fields separated by TAB, rows end in LF, NULL is {@code \N},
 * and backslash escapes for backslash, TAB, LF, CR, BS, FF, VT (plus octal/hex on input). Tabs and newlines
 * inside values are always escaped, and UTF-8 continuation bytes never equal 0x09/0x0A, so splitting a row
 * on raw TAB bytes is safe and unmasked fields are passed through without decoding.
 */
final class CopyText {
    private CopyText() {}

    static boolean isNull(byte[] b, int from, int to) {
        return to - from == 2 && b[from] == '\\' && b[from + 1] == 'N';
    }

    /** Decodes one field; null for {@code \N}. */
    static String decode(byte[] b, int from, int to) {
        if (isNull(b, from, to)) return null;
        int bs = -1;
        for (int i = from; i < to; i++) if (b[i] == '\\') { bs = i; break; }
        if (bs < 0) return new String(b, from, to - from, StandardCharsets.UTF_8);
        byte[] out = new byte[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c != '\\' || i + 1 >= to) { out[n++] = c; continue; }
            byte e = b[++i];
            switch (e) {
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'v' -> out[n++] = 0x0b;
                case 'x' -> {
                    int v = 0, k = 0;
                    while (k < 2 && i + 1 < to && Character.digit(b[i + 1], 16) >= 0) { v = v * 16 + Character.digit(b[++i], 16); k++; }
                    out[n++] = (byte) v;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0', k = 1;
                        while (k < 3 && i + 1 < to && b[i + 1] >= '0' && b[i + 1] <= '7') { v = v * 8 + (b[++i] - '0'); k++; }
                        out[n++] = (byte) v;
                    } else {
                        out[n++] = e; // '\\' and any other escaped char stand for themselves
                    }
                }
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** A growable byte buffer that COPY rows are assembled in. */
    static final class Sink {
        byte[] buf;
        int len;

        Sink(int capacity) { buf = new byte[capacity]; }

        void ensure(int more) {
            if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }

        void put(byte b) { ensure(1); buf[len++] = b; }

        void put(byte[] b, int from, int to) {
            ensure(to - from);
            System.arraycopy(b, from, buf, len, to - from);
            len += to - from;
        }

        void reset() { len = 0; }

        /** Appends {@code v} escaped for COPY text ({@code \N} for null). */
        void putField(String v) {
            if (v == null) { put((byte) '\\'); put((byte) 'N'); return; }
            byte[] u = v.getBytes(StandardCharsets.UTF_8);
            ensure(u.length * 2);
            for (byte c : u) {
                switch (c) {
                    case '\\' -> { buf[len++] = '\\'; buf[len++] = '\\'; }
                    case '\t' -> { buf[len++] = '\\'; buf[len++] = 't'; }
                    case '\n' -> { buf[len++] = '\\'; buf[len++] = 'n'; }
                    case '\r' -> { buf[len++] = '\\'; buf[len++] = 'r'; }
                    case '\b' -> { buf[len++] = '\\'; buf[len++] = 'b'; }
                    case '\f' -> { buf[len++] = '\\'; buf[len++] = 'f'; }
                    case 0x0b -> { buf[len++] = '\\'; buf[len++] = 'v'; }
                    default -> buf[len++] = c;
                }
            }
        }
    }
}
