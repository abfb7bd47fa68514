package dev.arbor.backend.metrics;

import java.util.Set;
import java.util.TreeSet;

/**
 * Writes the Prometheus text exposition format 0.0.4: per family one {@code # HELP} and {@code # TYPE}
 * line, then its samples. Label values are escaped (backslash, quote, newline) as the format requires.
 */
public final class Exposition {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(16 * 1024);
    private final Set<String> families = new TreeSet<>();

    /** Starts a family; a second start of the same name is a programming error (duplicate HELP/TYPE). */
    public Exposition family(String name, String type, String help) {
        if (!families.add(name)) throw new IllegalStateException("metric family " + name + " written twice");
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** One sample; {@code labels} alternate name, value. */
    public Exposition sample(String name, double value, String... labels) {
        out.append(name);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i + 1 < labels.length; i += 2) {
                if (i > 0) out.append(',');
                out.append(labels[i]).append("=\"");
                escape(labels[i + 1]);
                out.append('"');
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
        return this;
    }

    /** The {@code _bucket}, {@code _sum} and {@code _count} samples of one labelled histogram child. */
    public Exposition histogram(String name, Histogram.Snapshot s, String... labels) {
        String[] withLe = new String[labels.length + 2];
        System.arraycopy(labels, 0, withLe, 0, labels.length);
        withLe[labels.length] = "le";
        for (int i = 0; i < s.cumulative().length; i++) {
            withLe[labels.length + 1] = i < s.bounds().length ? number(s.bounds()[i]) : "+Inf";
            sample(name + "_bucket", s.cumulative()[i], withLe);
        }
        sample(name + "_sum", s.sumSeconds(), labels);
        sample(name + "_count", s.count(), labels);
        return this;
    }

    private void escape(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    @Override public String toString() { return out.toString(); }
}
